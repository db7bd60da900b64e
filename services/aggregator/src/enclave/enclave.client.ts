import { fork, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import type {
  EnclaveDescription,
  EnclaveMessage,
  EnclaveReplies,
  EnclaveRequest,
  EnclaveResponse,
} from './enclave-protocol.js';

export class EnclaveCallError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'EnclaveCallError';
  }
}

const here = dirname(fileURLToPath(import.meta.url));

/**
 * The host's handle on the enclave process. It forwards sealed updates and gets back receipts and the released
 * aggregate; it holds no enclave key and sees no plaintext update.
 */
export class EnclaveClient {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private exited = false;

  private constructor(
    private readonly child: ChildProcess,
    readonly description: EnclaveDescription,
  ) {
    child.on('message', (m: EnclaveResponse) => {
      const waiter = this.pending.get(m.id);
      if (!waiter) return;
      this.pending.delete(m.id);
      if (m.ok) waiter.resolve(m.reply);
      else waiter.reject(new EnclaveCallError(m.error.code, m.error.message));
    });
    child.on('exit', (code) => {
      this.exited = true;
      for (const w of this.pending.values())
        w.reject(new EnclaveCallError('ENCLAVE_EXITED', `the enclave exited (${code})`));
      this.pending.clear();
    });
  }

  /** False once the enclave process has exited: nothing can be aggregated until the aggregator restarts. */
  get alive(): boolean {
    return !this.exited;
  }

  /** Starts the enclave process from the built code (dist/) and waits for its self-description. */
  static async start(opts: { authorityDir: string; log: Logger; entry?: string }): Promise<EnclaveClient> {
    const entry = opts.entry ?? join(here, 'enclave-main.js');
    const child = fork(entry, ['--attester', 'insecure-dev', '--authority-dir', opts.authorityDir], {
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const description = await new Promise<EnclaveDescription>((resolve, reject) => {
      const onExit = (code: number | null): void =>
        reject(new Error(`the enclave process exited (${code}) before it started`));
      child.once('exit', onExit);
      child.once('message', (m: EnclaveResponse) => {
        child.off('exit', onExit);
        if (m.ok) resolve(m.reply as EnclaveDescription);
        else reject(new Error(m.error.message));
      });
    });
    if (description.insecureDev) {
      opts.log.warn(
        { measurement: description.measurement, verifier: description.verifier },
        'INSECURE DEV ATTESTATION: the enclave is attested by the local development authority; never use this with real patient data',
      );
    }
    opts.log.info({ measurement: description.measurement, pid: child.pid }, 'enclave started');
    return new EnclaveClient(child, description);
  }

  call<T extends EnclaveRequest['type']>(
    request: Extract<EnclaveRequest, { type: T }>,
  ): Promise<EnclaveReplies[T]> {
    if (this.exited)
      return Promise.reject(new EnclaveCallError('ENCLAVE_EXITED', 'the enclave is not running'));
    const id = this.nextId++;
    const message: EnclaveMessage = { id, request };
    return new Promise<EnclaveReplies[T]>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send(message);
    });
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.disconnect();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}

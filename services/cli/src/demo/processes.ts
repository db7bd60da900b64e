import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
/** bin/cohort.js of this checkout, whether running from sources or from dist/. */
export const COHORT_BIN = here.includes(join('dist', 'services'))
  ? join(here, '../../../../../bin/cohort.js')
  : join(here, '../../../../bin/cohort.js');

export interface ServiceProcess {
  name: string;
  child: ChildProcess;
  ready: Record<string, unknown>;
  stop(): Promise<number | null>;
}

/** Asks the OS for a free loopback port (released immediately, so a tiny race remains; fine on loopback). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts `cohort <args>` as its own process, with its logs going to logFile, and resolves when it prints its
 * ready line; rejects with the tail of its log when it exits first or is not ready in time.
 */
export async function startService(
  name: string,
  args: string[],
  /** bin: another checkout's bin/cohort.js (tests run a modified copy); default this one's. */
  opts: { logFile: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; bin?: string },
): Promise<ServiceProcess> {
  const log = createWriteStream(opts.logFile, { flags: 'a' });
  const child = spawn(process.execPath, [opts.bin ?? COHORT_BIN, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: opts.env,
  });
  // The log ends once both pipes have closed ('close', after 'exit'): ending it with stderr would lose (and fail
  // on) stdout lines still being read.
  child.stderr?.pipe(log, { end: false });
  child.once('close', () => log.end());
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `${name} did not start within ${(opts.timeoutMs ?? 60_000) / 1000} s (log: ${opts.logFile})`,
        ),
      );
    }, opts.timeoutMs ?? 60_000);
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      if (!log.writableEnded) log.write(`${line}\n`);
      try {
        const msg = JSON.parse(line) as Record<string, unknown>;
        if (msg.event === 'ready') {
          clearTimeout(timer);
          resolve(msg);
        }
      } catch {
        // not a JSON line: keep it in the log only
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with status ${code} before it was ready (log: ${opts.logFile})`));
    });
  });
  return {
    name,
    child,
    ready,
    stop: async () => {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

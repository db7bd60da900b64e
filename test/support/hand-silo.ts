import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { InsecureDevAuthority, ed25519Jwk } from '@cohort/attestation';
import { loadOrCreateIdentityKey, signDecision, signUpdate, type SiloIdentity } from '@cohort/identity';
import { channelCredentials, createCertificateRequest } from '@cohort/pki';
import {
  GRPC_CHANNEL_OPTIONS,
  PROTO_FILES,
  PROTO_LOADER_OPTIONS,
  TaskKind,
  WeightsEncoding,
  chunkBytes,
  packFloat32,
  sha256,
  type Task,
  type UpdateHeader,
} from '@cohort/protocol';
import { SEALING_SCHEME, seal, updateAad } from '@cohort/sealing';
import type { Federation } from './federation.js';

const definition = protoLoader.loadSync(PROTO_FILES, PROTO_LOADER_OPTIONS);
const proto = grpc.loadPackageDefinition(definition) as any;

export interface CallOutcome<T = any> {
  ok: boolean;
  value?: T;
  code?: number;
  errorCode?: string;
  message?: string;
}

function outcome<T>(err: grpc.ServiceError | null, value?: T): CallOutcome<T> {
  if (!err) return { ok: true, value };
  return {
    ok: false,
    code: err.code,
    errorCode: String(err.metadata?.get('cohort-error-code')?.[0] ?? ''),
    message: err.details,
  };
}

/**
 * A silo driven by hand from a test: it enrols like a real agent (identity key, agent token, CSR), then lets
 * the test decide what each message holds — so it can forge, replay, tamper and oversize on purpose.
 */
export class HandSilo {
  readonly tasks: Task[] = [];
  private stream: grpc.ClientReadableStream<Task> | undefined;
  private waiters: { match: (t: Task) => boolean; resolve: (t: Task) => void }[] = [];

  private constructor(
    readonly name: string,
    readonly identity: SiloIdentity,
    private readonly client: any,
    private readonly authority: InsecureDevAuthority,
    private readonly federation: Federation,
  ) {}

  static async enrol(f: Federation, name: string, opts: { joinToken?: string } = {}): Promise<HandSilo> {
    const identity = await loadOrCreateIdentityKey(await mkdtemp(join(tmpdir(), `hand-${name}-`)));
    const authority = await InsecureDevAuthority.loadOrCreate(f.files.authorityDir);
    const caPem = readFileSync(f.files.caFile, 'utf8');
    const enrolling = new proto.cohort.v1.FederationService(
      f.aggregatorUrl,
      channelCredentials({ caPem }),
      GRPC_CHANNEL_OPTIONS,
    );
    const { csrPem, keyPem } = await createCertificateRequest(name);
    const joinToken = opts.joinToken ?? (await f.invite(name));
    const silo = new HandSilo(name, identity, undefined, authority, f);
    const agentAttestationToken = await silo.agentToken();
    const r = await new Promise<CallOutcome>((resolve) =>
      enrolling.enroll(
        {
          joinToken,
          siloPublicKey: identity.publicKeyRaw,
          agentAttestationToken,
          siloName: name,
          tlsCsrPem: csrPem,
        },
        (err: grpc.ServiceError | null, value: any) => resolve(outcome(err, value)),
      ),
    );
    enrolling.close();
    if (!r.ok) throw Object.assign(new Error(`enrolment of ${name} failed: ${r.errorCode} ${r.message}`), r);
    const certPem = Buffer.from(r.value.certificatePem).toString();
    const client = new proto.cohort.v1.FederationService(
      f.aggregatorUrl,
      channelCredentials({ caPem, certPem, keyPem }),
      GRPC_CHANNEL_OPTIONS,
    );
    return new HandSilo(name, identity, client, authority, f);
  }

  agentToken(): Promise<string> {
    return this.authority.issue(
      {
        measurement: this.federation.files.agentMeasurement,
        component: 'cohort-silo-agent',
        nonce: randomBytes(16),
        boundKey: ed25519Jwk(this.identity.publicKeyRaw),
      },
      'cohort-federation',
    );
  }

  /** Opens the task stream; offers are accepted (signed) unless `acceptOffers` is false. */
  async connect(opts: { datasetIds?: string[]; acceptOffers?: boolean } = {}): Promise<void> {
    this.stream = this.client.connect({
      siloId: this.name,
      agentAttestationToken: await this.agentToken(),
      capabilities: { datasetIds: opts.datasetIds ?? ['uci-heart-disease'], modelTemplates: ['logreg'] },
    });
    this.stream!.on('error', () => undefined);
    this.stream!.on('data', (task: Task) => {
      this.tasks.push(task);
      if (task.kind === TaskKind.TASK_KIND_OFFER && opts.acceptOffers !== false)
        void this.decide(task.jobId, true, 'hand');
      for (const w of [...this.waiters]) {
        if (w.match(task)) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(task);
        }
      }
    });
  }

  nextTask(match: (t: Task) => boolean, timeoutMs = 60_000): Promise<Task> {
    const seen = this.tasks.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${this.name}: no matching task within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.waiters.push({
        match,
        resolve: (t) => {
          clearTimeout(timer);
          resolve(t);
        },
      });
    });
  }

  async decide(
    jobId: string,
    accept: boolean,
    reason: string,
    round = 0,
    signer: SiloIdentity = this.identity,
  ): Promise<CallOutcome> {
    const signature = await signDecision(signer, { jobId, siloId: this.name, round, accept, reason });
    return new Promise((resolve) =>
      this.client.decide(
        { jobId, siloId: this.name, accept, reason, signature, round },
        (err: grpc.ServiceError | null) => resolve(outcome(err)),
      ),
    );
  }

  attestation(jobId: string, round: number): Promise<CallOutcome> {
    return new Promise((resolve) =>
      this.client.getEnclaveAttestation(
        { siloId: this.name, jobId, round, nonce: randomBytes(32) },
        (err: grpc.ServiceError | null, value: any) => resolve(outcome(err, value)),
      ),
    );
  }

  /**
   * A correctly sealed and signed update for a train task, before any tampering: the test may change the
   * header, the sealed bytes, or the key that signs.
   */
  async buildUpdate(
    task: Task,
    opts: { values?: number; fill?: number; signer?: SiloIdentity; siloId?: string } = {},
  ): Promise<{ header: UpdateHeader; sealed: Buffer }> {
    const att = await this.attestation(task.jobId, task.round);
    if (!att.ok) throw new Error(`attestation failed: ${att.errorCode} ${att.message}`);
    const values = opts.values ?? task.globalModel?.parameterCount ?? 1;
    const siloId = opts.siloId ?? this.name;
    const claims = { jobId: task.jobId, round: task.round, siloId };
    const sealed = await seal(
      att.value.hpkePublicKey,
      packFloat32(new Float32Array(values).fill(opts.fill ?? 0.01)),
      updateAad(claims),
    );
    const digest = sha256(sealed);
    const header: UpdateHeader = {
      ...claims,
      nonce: task.nonce,
      exampleCount: 50,
      payloadSha256: digest,
      encoding: WeightsEncoding.WEIGHTS_ENCODING_FLOAT32,
      payloadBytes: sealed.byteLength,
      signatureJws: '',
      trainMs: 1,
      sealing: SEALING_SCHEME,
    };
    header.signatureJws = await signUpdate(opts.signer ?? this.identity, {
      ...claims,
      nonce: task.nonce,
      payloadSha256: digest,
      exampleCount: header.exampleCount,
      sealing: SEALING_SCHEME,
    });
    return { header, sealed };
  }

  /** Sends an upload as given: a header message and the payload in chunks (or raw messages, for malformed ones). */
  upload(
    header: UpdateHeader | undefined,
    payload: Buffer,
    extra: Record<string, unknown>[] = [],
  ): Promise<CallOutcome> {
    return new Promise((resolve) => {
      const call = this.client.upload((err: grpc.ServiceError | null, value: any) =>
        resolve(outcome(err, value)),
      );
      if (header) call.write({ header });
      for (const data of chunkBytes(payload)) call.write({ data });
      for (const message of extra) call.write(message);
      call.end();
    });
  }

  close(): void {
    this.stream?.cancel();
    this.client?.close();
  }
}

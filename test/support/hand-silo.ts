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

/** Held-out metrics of 10 made-up examples, binned as every silo bins them (100 bins of [0, 1]). */
export const HAND_METRICS = {
  loss: 0.6,
  accuracy: 0.7,
  examples: 10,
  positiveHistogram: Array.from({ length: 100 }, (_, i) => (i === 70 ? 6 : 0)),
  negativeHistogram: Array.from({ length: 100 }, (_, i) => (i === 30 ? 4 : 0)),
};

/** How a server stream ended: its status, with the aggregator's error code when it refused. */
function streamEnd(stream: grpc.ClientReadableStream<unknown>): Promise<CallOutcome> {
  return new Promise((resolve) => {
    stream.on('error', (err: grpc.ServiceError) => resolve(outcome(err)));
    stream.on('status', (s: grpc.StatusObject) => {
      if (s.code === grpc.status.OK) resolve({ ok: true, code: s.code });
    });
  });
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
  /** How offers are answered: a signed accept, a signed decline, or no answer at all. */
  offers: 'accept' | 'decline' | 'ignore' = 'accept';
  /** Whether evaluate tasks are answered with (made-up, valid) held-out metrics, as a real silo would. */
  evaluates = true;
  /** Resolves when the current task stream ends (the aggregator closed the session, or refused it). */
  ended: Promise<CallOutcome> = Promise.resolve({ ok: true });
  private stream: grpc.ClientReadableStream<Task> | undefined;
  private enclaveKey: Uint8Array | undefined;
  private waiters: { match: (t: Task) => boolean; resolve: (t: Task) => void }[] = [];

  private constructor(
    readonly name: string,
    readonly identity: SiloIdentity,
    private readonly client: any,
    private readonly authority: InsecureDevAuthority,
    private readonly federation: Federation,
  ) {}

  /**
   * Enrols like a real agent; `agentToken` replaces the agent's attestation token (to present a crafted one),
   * `identity` reuses a key. A refused enrolment throws an error carrying the CallOutcome's fields.
   */
  static async enrol(
    f: Federation,
    name: string,
    opts: {
      joinToken?: string;
      identity?: SiloIdentity;
      agentToken?: (identity: SiloIdentity) => Promise<string>;
    } = {},
  ): Promise<HandSilo> {
    const identity =
      opts.identity ?? (await loadOrCreateIdentityKey(await mkdtemp(join(tmpdir(), `hand-${name}-`))));
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
    const agentAttestationToken = opts.agentToken ? await opts.agentToken(identity) : await silo.agentToken();
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

  /** Opens the task stream; offers are answered as `offers` says (`acceptOffers: false` leaves them unanswered). */
  async connect(opts: { datasetIds?: string[]; acceptOffers?: boolean } = {}): Promise<void> {
    if (opts.acceptOffers === false) this.offers = 'ignore';
    const stream: grpc.ClientReadableStream<Task> = this.client.connect({
      siloId: this.name,
      agentAttestationToken: await this.agentToken(),
      capabilities: { datasetIds: opts.datasetIds ?? ['uci-heart-disease'], modelTemplates: ['logreg'] },
    });
    this.stream = stream;
    this.ended = streamEnd(stream);
    stream.on('data', (task: Task) => {
      this.tasks.push(task);
      if (task.kind === TaskKind.TASK_KIND_OFFER && this.offers !== 'ignore')
        void this.decide(task.jobId, this.offers === 'accept', `hand: ${this.offers}`);
      if (task.kind === TaskKind.TASK_KIND_EVALUATE && this.evaluates)
        void this.reportMetrics(task.jobId, task.round);
      for (const w of [...this.waiters]) {
        if (w.match(task)) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(task);
        }
      }
    });
  }

  /**
   * A second Connect with the given agent token, apart from the task stream: resolves with the refusal, or
   * with ok when the aggregator has not refused it within `waitMs` (the stream is then cancelled).
   */
  tryConnect(agentAttestationToken: string, waitMs = 5_000): Promise<CallOutcome> {
    const stream: grpc.ClientReadableStream<Task> = this.client.connect({
      siloId: this.name,
      agentAttestationToken,
      capabilities: { datasetIds: [], modelTemplates: ['logreg'] },
    });
    const timer = setTimeout(() => stream.cancel(), waitMs);
    return streamEnd(stream).then((o) => {
      clearTimeout(timer);
      return o.code === grpc.status.CANCELLED ? { ok: true } : o;
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

  reportMetrics(jobId: string, round: number, metrics?: Record<string, unknown>): Promise<CallOutcome> {
    return new Promise((resolve) =>
      this.client.reportMetrics(
        {
          jobId,
          round,
          siloId: this.name,
          metrics: metrics ?? HAND_METRICS,
        },
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
   * header, the sealed bytes, or the key that signs. `claims` names another job, round, silo or nonce, signed
   * (and sealed) as if they were the task's; `plaintext` replaces the default update (every value `fill`).
   */
  async buildUpdate(
    task: Task,
    opts: {
      values?: number;
      fill?: number;
      plaintext?: Float32Array;
      /** The example count the header claims (default 50). */
      exampleCount?: number;
      signer?: SiloIdentity;
      siloId?: string;
      claims?: { jobId?: string; round?: number; nonce?: Uint8Array };
    } = {},
  ): Promise<{ header: UpdateHeader; sealed: Buffer }> {
    if (!this.enclaveKey) {
      // Fetched once, as a real silo reuses its verification: the enclave's key lives as long as its process.
      const att = await this.attestation(task.jobId, task.round);
      if (!att.ok) throw new Error(`attestation failed: ${att.errorCode} ${att.message}`);
      this.enclaveKey = att.value.hpkePublicKey as Uint8Array;
    }
    const values = opts.values ?? task.globalModel?.parameterCount ?? 1;
    const claims = {
      jobId: opts.claims?.jobId ?? task.jobId,
      round: opts.claims?.round ?? task.round,
      siloId: opts.siloId ?? this.name,
    };
    const nonce = opts.claims?.nonce ?? task.nonce;
    const sealed = await seal(
      this.enclaveKey,
      packFloat32(opts.plaintext ?? new Float32Array(values).fill(opts.fill ?? 0.01)),
      updateAad(claims),
    );
    const header: UpdateHeader = {
      ...claims,
      nonce,
      exampleCount: opts.exampleCount ?? 50,
      payloadSha256: sha256(sealed),
      encoding: WeightsEncoding.WEIGHTS_ENCODING_FLOAT32,
      payloadBytes: sealed.byteLength,
      signatureJws: '',
      trainMs: 1,
      sealing: SEALING_SCHEME,
    };
    return { header: await this.sign(header, opts.signer), sealed };
  }

  /** The header with a signature over its claims as they now are (after the test changed them). */
  async sign(header: UpdateHeader, signer: SiloIdentity = this.identity): Promise<UpdateHeader> {
    const signatureJws = await signUpdate(signer, {
      jobId: header.jobId,
      round: header.round,
      siloId: header.siloId,
      nonce: header.nonce,
      payloadSha256: header.payloadSha256,
      exampleCount: header.exampleCount,
      sealing: header.sealing,
    });
    return { ...header, signatureJws };
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

  /** The bytes of an upload's messages as the client encodes them: what the aggregator host receives. */
  encodeUpload(header: UpdateHeader, payload: Buffer): Buffer {
    const serialize = (definition['cohort.v1.FederationService'] as any).Upload.requestSerialize as (
      m: unknown,
    ) => Buffer;
    return Buffer.concat([serialize({ header }), ...chunkBytes(payload).map((data) => serialize({ data }))]);
  }

  /**
   * An Upload whose messages are the given bytes as they are, not protobuf encoded by the client: for
   * messages no protobuf encoder would produce.
   */
  rawUpload(frames: Buffer[]): Promise<CallOutcome> {
    return new Promise((resolve) => {
      const call = (this.client as grpc.Client).makeClientStreamRequest<Buffer, unknown>(
        '/cohort.v1.FederationService/Upload',
        (b: Buffer) => b,
        (b: Buffer) => b,
        (err, value) => resolve(outcome(err, value)),
      );
      for (const frame of frames) call.write(frame);
      call.end();
    });
  }

  /** Sends a secure-aggregation message: its header and, for a masked input, the bytes in chunks. */
  secAggSubmit(header: Record<string, unknown>, payload?: Uint8Array): Promise<CallOutcome> {
    return new Promise((resolve) => {
      const call = this.client.secAggSubmit((err: grpc.ServiceError | null, value: any) =>
        resolve(outcome(err, value)),
      );
      call.write({ header: { siloId: this.name, ...header } });
      for (const data of payload ? chunkBytes(payload) : []) call.write({ data });
      call.end();
    });
  }

  /** Ends the task stream only (the silo goes offline); the client stays usable for other calls. */
  disconnect(): void {
    this.stream?.cancel();
    this.stream = undefined;
  }

  close(): void {
    this.stream?.cancel();
    this.client?.close();
  }
}

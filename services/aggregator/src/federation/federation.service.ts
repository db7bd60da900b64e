import { Inject, Injectable } from '@nestjs/common';
import { Observable } from 'rxjs';
import type { Logger } from 'pino';
import {
  MAX_CHUNK_BYTES,
  WeightsEncoding,
  chunkBytes,
  sha256,
  type ConnectRequest,
  type DecideRequest,
  type EnclaveAttestation,
  type EnrollRequest,
  type EnrollResponse,
  type GetEnclaveAttestationRequest,
  type GetModelRequest,
  type Metrics,
  type MetricsReport,
  type ModelChunk,
  type PrivacyStatement,
  type Receipt,
  type Task,
  type UpdateChunk,
  type UpdateHeader,
} from '@cohort/protocol';
import { modelLayout } from '@cohort/model';
import { IdentityError, verifyDecision, verifyUpdate } from '@cohort/identity';
import { SEALING_SCHEME, sealedLength } from '@cohort/sealing';
import { encodedLength, encodingName } from '@cohort/quantization';
import type { AggregatorMetrics } from '@cohort/observability';
import { AggregatorErrorCode, AggregatorException } from '../common/aggregator.exception.js';
import { AuditTrail } from '../audit/audit-trail.service.js';
import { JobEvents } from '../jobs/job-events.service.js';
import { LOGGER } from '../common/logger.provider.js';
import { AGGREGATOR_METRICS } from '../common/metrics.provider.js';
import { JobRepository } from '../jobs/job.repository.js';
import { ActiveRounds } from '../rounds/active-rounds.service.js';
import { JobRunner } from '../rounds/job-runner.service.js';
import { ModelRepository } from '../rounds/model.repository.js';
import { RoundRepository } from '../rounds/round.repository.js';
import { SiloRepository } from './silo.repository.js';
import { SiloSessions } from './silo-sessions.service.js';
import { validateMetrics } from './metrics-validation.js';
import { EnrolmentService } from './enrolment.service.js';
import { AgentAttestation } from '../trust/agent-attestation.service.js';
import { SiloGuard } from '../trust/silo-guard.service.js';
import { peerCommonName, type CallLike } from '../trust/peer.js';
import { EnclaveHost } from '../enclave/enclave-host.service.js';
import { TRUST, type AggregatorTrust } from '../trust/trust.provider.js';
import { Admission } from '../common/admission.js';

/** GetModel streams sent at once; further silos wait their turn (see modelStream). */
export const MODEL_STREAMS = 8;
/** A stream still sending after this long (a slow link) stops holding its place, so it cannot starve the rest. */
const MODEL_STREAM_TURN_MS = 10_000;

/** The events of a server-streaming call that say it has ended, one way or another. */
interface EndingCall {
  once(event: 'finish' | 'close' | 'cancelled' | 'error', listener: () => void): unknown;
}

function endingCall(call: CallLike): EndingCall | undefined {
  const c = call as Partial<EndingCall> | undefined;
  return typeof c?.once === 'function' ? (c as EndingCall) : undefined;
}

@Injectable()
export class FederationService {
  private readonly modelStreams = new Admission(MODEL_STREAMS);

  constructor(
    private readonly sessions: SiloSessions,
    private readonly silos: SiloRepository,
    private readonly jobs: JobRepository,
    private readonly rounds: RoundRepository,
    private readonly models: ModelRepository,
    private readonly activeRounds: ActiveRounds,
    private readonly runner: JobRunner,
    private readonly guard: SiloGuard,
    private readonly agents: AgentAttestation,
    private readonly enrolment: EnrolmentService,
    private readonly enclave: EnclaveHost,
    @Inject(TRUST) private readonly trust: AggregatorTrust,
    @Inject(LOGGER) private readonly log: Logger,
    private readonly audit: AuditTrail,
    private readonly events: JobEvents,
    @Inject(AGGREGATOR_METRICS) private readonly metrics: AggregatorMetrics,
  ) {}

  enroll(request: EnrollRequest): Promise<EnrollResponse> {
    return this.enrolment.enrol(request);
  }

  /** A fresh token for the silo's own nonce: the silo checks it before it seals anything to the enclave. */
  async enclaveAttestation(
    request: GetEnclaveAttestationRequest,
    call?: CallLike,
  ): Promise<EnclaveAttestation> {
    await this.guard.require(request.siloId, call, 'attestation');
    const d = this.enclave.description;
    const token = await this.enclave.attest(request.nonce, this.trust.file.audience);
    this.log.info(
      {
        audit: true,
        siloId: request.siloId,
        jobId: request.jobId,
        round: request.round,
        measurement: d.measurement,
        verifier: d.verifier,
      },
      'enclave attestation issued to a silo',
    );
    await this.audit.record('aggregator', 'attestation.issued', `silo:${request.siloId}`, {
      siloId: request.siloId,
      jobId: request.jobId,
      round: request.round,
      component: 'enclave',
      measurement: d.measurement,
      verifier: d.verifier,
    });
    return {
      token,
      hpkePublicKey: d.hpkePublicKey,
      signingPublicKey: d.signingPublicKey,
      verifier: d.verifier,
    };
  }

  async connect(request: ConnectRequest, call?: CallLike): Promise<Observable<Task>> {
    const silo = await this.guard.require(request.siloId, call, 'connect');
    await this.agents.verify(silo.siloId, request.agentAttestationToken, silo.publicKey ?? Buffer.alloc(0));
    const siloId = silo.siloId;
    const datasetIds = request.capabilities?.datasetIds ?? [];
    await this.silos.touch(siloId, datasetIds);
    this.log.info({ siloId, datasetIds }, 'silo connected');
    return this.sessions.open(siloId, datasetIds);
  }

  async decide(request: DecideRequest, call?: CallLike): Promise<void> {
    const silo = await this.guard.require(request.siloId, call, 'decide');
    const siloId = silo.siloId;
    const job = await this.jobs.get(request.jobId);
    if (!job)
      throw new AggregatorException(AggregatorErrorCode.JOB_NOT_FOUND, `job ${request.jobId} does not exist`);
    try {
      await verifyDecision(request.signature, silo.key, {
        jobId: request.jobId,
        siloId,
        round: request.round,
        accept: request.accept,
        reason: request.reason,
      });
    } catch (err) {
      this.log.warn(
        { audit: true, siloId, jobId: job.id, reason: (err as Error).message },
        'decision signature refused',
      );
      await this.audit.recordRefusal(`silo:${siloId}`, 'auth.refused', `job:${job.id}`, {
        jobId: job.id,
        siloId,
        code: AggregatorErrorCode.DECISION_SIGNATURE_INVALID,
        reason: (err as Error).message,
      });
      throw new AggregatorException(
        AggregatorErrorCode.DECISION_SIGNATURE_INVALID,
        `the decision on job ${job.id} is not signed by silo ${siloId}'s enrolled key: ${(err as Error).message}`,
      );
    }
    if (request.round > 0) return this.declineRound(job.id, request.round, siloId, request.reason);
    await this.jobs.recordDecision(job.id, siloId, request.accept, request.reason, request.declaredRecords);
    this.log.info(
      { audit: true, jobId: job.id, siloId, accept: request.accept, reason: request.reason },
      'silo decided on a job',
    );
    await this.audit.record(
      `silo:${siloId}`,
      request.accept ? 'job.accepted' : 'job.declined',
      `job:${job.id}`,
      {
        jobId: job.id,
        siloId,
        reason: request.reason,
      },
    );
    this.runner.recordDecision(job.id, siloId, request.accept, request.reason);
  }

  /** A silo that will not send for this round (its check of the enclave failed): stop waiting for it. */
  private async declineRound(jobId: string, round: number, siloId: string, reason: string): Promise<void> {
    const active = this.activeRounds.require(jobId, round);
    if (!active.isParticipant(siloId) || active.accepted.has(siloId)) return;
    // The round's rows are written once it is recorded; a decline written before would be overwritten.
    await active.ready.catch(() => undefined);
    active.drop(siloId);
    await this.rounds.setUpdate(jobId, round, siloId, 'rejected', {
      reason: `declined by the silo: ${reason}`,
    });
    this.log.warn({ audit: true, jobId, round, siloId, reason }, 'silo declined the round');
    await this.audit.record(`silo:${siloId}`, 'round.declined', `job:${jobId}`, {
      jobId,
      round,
      siloId,
      reason,
    });
  }

  /**
   * Receives one update: the header is checked before any payload byte is kept; the payload must be exactly
   * the model's size and match its digest; only then is it folded into the round's mean.
   */
  async upload(chunks: Observable<UpdateChunk>, call?: CallLike): Promise<Receipt> {
    let header: UpdateHeader | undefined;
    let admitted: Promise<void> | undefined;
    let payload: Buffer | undefined;
    let received = 0;
    let failure: AggregatorException | undefined;

    await new Promise<void>((resolve, reject) => {
      // Chunks buffered before the handler ran arrive synchronously inside subscribe(): no early unsubscribe
      // here; after a failure the rest of the stream is read and ignored.
      chunks.subscribe({
        next: (chunk) => {
          if (failure) return;
          try {
            if (!header) {
              if (!chunk.header) throw malformed('the first chunk of an upload must carry the header');
              header = chunk.header;
              // Identity and signature are checked while the payload streams in; no byte of it is used before.
              admitted = this.authenticate(header, call);
              admitted.catch(() => undefined);
              payload = Buffer.alloc(this.admitHeader(header));
              return;
            }
            if (chunk.header) throw malformed('an upload carries exactly one header, in its first chunk');
            const data = chunk.data ?? new Uint8Array(0);
            if (data.byteLength > MAX_CHUNK_BYTES) {
              throw new AggregatorException(
                AggregatorErrorCode.UPDATE_TOO_LARGE,
                `a chunk of ${data.byteLength} bytes exceeds the ${MAX_CHUNK_BYTES}-byte limit`,
              );
            }
            if (!payload || received + data.byteLength > payload.byteLength) {
              throw new AggregatorException(
                AggregatorErrorCode.UPDATE_SIZE_MISMATCH,
                `the payload is longer than the ${payload?.byteLength ?? 0} bytes its header declared`,
              );
            }
            payload.set(data, received);
            received += data.byteLength;
          } catch (err) {
            failure = err instanceof AggregatorException ? err : malformed((err as Error).message);
          }
        },
        error: (err: unknown) => reject(err instanceof Error ? err : new Error(String(err))),
        complete: () => resolve(),
      });
    });

    if (!failure && header && payload) {
      try {
        await admitted;
        return await this.acceptPayload(header, payload, received);
      } catch (err) {
        if (!(err instanceof AggregatorException)) throw err;
        failure = err;
      }
    } else if (admitted) {
      // Whatever else is wrong with it, a message not provably the named silo's own is refused as such, so it
      // cannot change that silo's round state.
      try {
        await admitted;
      } catch (err) {
        if (!(err instanceof AggregatorException)) throw err;
        failure = err;
      }
    }
    failure ??= malformed('the upload ended before its header arrived');
    await this.recordRejection(header, failure, call);
    throw failure;
  }

  async reportMetrics(report: MetricsReport, call?: CallLike): Promise<void> {
    const siloId = (await this.guard.require(report.siloId, call, 'metrics')).siloId;
    const active = this.activeRounds.require(report.jobId, report.round);
    const metrics: Metrics = validateMetrics(report.metrics, siloId);
    active.recordMetrics(siloId, metrics);
  }

  /**
   * GetModel, one turn at a time: every silo asks at the start of a round, and a few models sent whole reach
   * their silos (which can then train) far sooner than a hundred sent side by side, which all finish at the end;
   * this process also holds a few serialized copies of the model instead of one per silo.
   */
  modelStream(request: GetModelRequest, call?: CallLike): Observable<ModelChunk> {
    return new Observable<ModelChunk>((subscriber) => {
      let unsubscribed = false;
      let release: (() => void) | undefined;
      this.modelStreams
        .acquire()
        .then(async (granted) => {
          release = granted;
          if (unsubscribed) return granted();
          const chunks = await this.getModel(request, call);
          const ending = endingCall(call);
          if (ending) {
            // Held until the last chunk is handed to the connection, not merely queued for it.
            for (const event of ['finish', 'close', 'cancelled', 'error'] as const)
              ending.once(event, granted);
            setTimeout(granted, MODEL_STREAM_TURN_MS).unref();
          }
          for (const chunk of chunks) subscriber.next(chunk);
          subscriber.complete();
          if (!ending) granted();
        })
        .catch((err: unknown) => {
          release?.();
          subscriber.error(err);
        });
      return () => {
        unsubscribed = true;
      };
    });
  }

  async getModel(request: GetModelRequest, call?: CallLike): Promise<ModelChunk[]> {
    await this.guard.require(request.siloId, call, 'get-model');
    const job = await this.jobs.get(request.jobId);
    if (!job)
      throw new AggregatorException(AggregatorErrorCode.JOB_NOT_FOUND, `job ${request.jobId} does not exist`);
    const model = await this.models.get(job.id, request.round);
    if (!model) {
      throw new AggregatorException(
        AggregatorErrorCode.MODEL_NOT_RELEASED,
        `job ${job.id} has no global model for round ${request.round}`,
      );
    }
    return modelChunks(job.id, request.round, job.spec, model.weights, model.sha256);
  }

  /** Returns the payload size the header commits to, after checking it against the open round. */
  private admitHeader(header: UpdateHeader): number {
    const siloId = header.siloId;
    const active = this.activeRounds.require(header.jobId, header.round, siloId);
    active.admit(siloId, header.nonce);
    if (header.sealing !== SEALING_SCHEME) {
      throw new AggregatorException(
        AggregatorErrorCode.UPDATE_NOT_SEALED,
        `updates must be sealed to the enclave with ${SEALING_SCHEME}; got ${JSON.stringify(header.sealing)}`,
      );
    }
    // The job fixes one encoding for every update, so the size below is exact and the enclave decodes blind.
    if (header.encoding !== active.encoding) {
      throw new AggregatorException(
        AggregatorErrorCode.UPDATE_UNSUPPORTED_ENCODING,
        `the update is encoded as ${encodingName(header.encoding)}; job ${header.jobId} takes ` +
          `${encodingName(active.encoding)} updates only`,
      );
    }
    const expected = sealedLength(encodedLength(active.encoding, active.parameterCount));
    if (header.payloadBytes !== expected) {
      throw new AggregatorException(
        AggregatorErrorCode.UPDATE_SIZE_MISMATCH,
        `the sealed update declares ${header.payloadBytes} bytes; a model of ${active.parameterCount} parameters ` +
          `in ${encodingName(active.encoding)} seals to ${expected} bytes`,
      );
    }
    if (active.differentiallyPrivate) {
      // A true count would leak outside the noised aggregate: DP updates carry none.
      if (header.exampleCount !== 0) {
        throw malformed(
          `a differentially private update must not carry an example count (got ${header.exampleCount})`,
        );
      }
    } else if (!Number.isInteger(header.exampleCount) || header.exampleCount <= 0) {
      throw malformed(`the example count must be a positive integer, got ${header.exampleCount}`);
    }
    return expected;
  }

  /** The enrolled silo, over its own certificate, signed exactly this header: checked before the payload is used. */
  private async authenticate(header: UpdateHeader, call: CallLike): Promise<void> {
    const silo = await this.guard.require(header.siloId, call, 'upload');
    try {
      await verifyUpdate(header.signatureJws, silo.key, {
        jobId: header.jobId,
        round: header.round,
        siloId: header.siloId,
        nonce: header.nonce,
        payloadSha256: header.payloadSha256,
        exampleCount: header.exampleCount,
        sealing: header.sealing,
        wireEncoding: encodingName(header.encoding),
      });
    } catch (err) {
      const mismatch = err instanceof IdentityError && err.code === 'SIGNATURE_MISMATCH';
      throw new AggregatorException(
        mismatch
          ? AggregatorErrorCode.UPDATE_SIGNATURE_MISMATCH
          : AggregatorErrorCode.UPDATE_SIGNATURE_INVALID,
        `the update's signature does not verify under silo ${header.siloId}'s enrolled key: ${(err as Error).message}`,
      );
    }
  }

  private async acceptPayload(header: UpdateHeader, payload: Buffer, received: number): Promise<Receipt> {
    if (received !== payload.byteLength) {
      throw new AggregatorException(
        AggregatorErrorCode.UPDATE_SIZE_MISMATCH,
        `the upload ended after ${received} of the ${payload.byteLength} bytes its header declared`,
      );
    }
    const digest = sha256(payload);
    if (!digest.equals(Buffer.from(header.payloadSha256))) {
      throw new AggregatorException(
        AggregatorErrorCode.UPDATE_DIGEST_MISMATCH,
        'the payload does not match the SHA-256 digest in its header',
      );
    }
    const active = this.activeRounds.require(header.jobId, header.round);
    await active.ready;
    active.admit(header.siloId, header.nonce);
    active.inFlight.add(header.siloId);
    let result: { receipt: string; receivedAtUnixMs: number };
    try {
      // The host hands over the sealed bytes as they came: only the enclave can open them.
      result = await this.enclave.addUpdate({
        jobId: header.jobId,
        round: header.round,
        siloId: header.siloId,
        exampleCount: header.exampleCount,
        sealed: payload,
        payloadSha256: digest,
        encoding: header.encoding,
      });
    } finally {
      active.inFlight.delete(header.siloId);
    }
    // Recorded with the round's aggregate (one transaction), not here: this is every upload's critical path.
    active.markAccepted({
      siloId: header.siloId,
      exampleCount: header.exampleCount,
      trainMs: header.trainMs,
      updateDigest: digest.toString('hex'),
    });
    this.metrics.updateAccepted();
    this.events.emit({
      jobId: header.jobId,
      type: 'update_accepted',
      round: header.round,
      siloId: header.siloId,
    });
    return {
      jobId: header.jobId,
      round: header.round,
      siloId: header.siloId,
      payloadSha256: digest,
      receivedAtUnixMs: result.receivedAtUnixMs,
      signature: result.receipt,
    };
  }

  private async recordRejection(
    header: UpdateHeader | undefined,
    failure: AggregatorException,
    call: CallLike,
  ): Promise<void> {
    this.metrics.updateRejected(failure.code);
    this.log.warn(
      {
        audit: true,
        jobId: header?.jobId,
        round: header?.round,
        siloId: header?.siloId,
        peer: peerCommonName(call),
        code: failure.code,
        reason: failure.message,
      },
      'update rejected',
    );
    const who = header?.siloId || peerCommonName(call) || '(unknown)';
    await this.audit.recordRefusal(
      `silo:${who}`,
      'update.rejected',
      header?.jobId ? `job:${header.jobId}` : `silo:${who}`,
      {
        ...(header?.jobId ? { jobId: header.jobId, round: header.round } : {}),
        siloId: who,
        code: failure.code,
        reason: failure.message,
      },
    );
    // Followers of the job see it too; only the code, as the audit entry has the rest.
    if (header?.jobId && !FOREIGN_FAILURES.has(failure.code)) {
      this.events.emit({
        jobId: header.jobId,
        type: 'update_rejected',
        round: header.round,
        siloId: header.siloId,
        message: failure.code,
      });
    }
    if (header && failure.code === AggregatorErrorCode.UPDATE_LATE) {
      const { jobId, round, siloId } = header;
      await this.rounds
        .countLate(jobId, round, siloId, `${failure.code}: ${failure.message}`)
        .catch((err: unknown) => this.log.error({ err, jobId, round }, 'counting a late update failed'));
      return;
    }
    if (!header) return;
    const active = this.activeRounds.all().find((r) => r.jobId === header.jobId && r.round === header.round);
    if (!active?.isParticipant(header.siloId)) return;
    // The round's rows are written once it is recorded; a rejection written before would be overwritten.
    await active.ready.catch(() => undefined);
    // A replay must not overwrite the record of the accepted update, and a message that is not the silo's own
    // (bad signature, wrong certificate, revoked) must not change its round state.
    if (FOREIGN_FAILURES.has(failure.code) || active.accepted.has(header.siloId)) return;
    await this.rounds.setUpdate(header.jobId, header.round, header.siloId, 'rejected', {
      reason: `${failure.code}: ${failure.message}`,
    });
    // A content error will not fix itself: stop waiting for this silo so the round closes on the others.
    active.drop(header.siloId);
  }
}

/** Failures that say nothing about the named silo's own update: they leave its round state as it was. */
const FOREIGN_FAILURES = new Set<AggregatorErrorCode>([
  AggregatorErrorCode.UPDATE_DUPLICATE,
  AggregatorErrorCode.UPDATE_SIGNATURE_INVALID,
  AggregatorErrorCode.UPDATE_SIGNATURE_MISMATCH,
  AggregatorErrorCode.UPDATE_BAD_NONCE,
  AggregatorErrorCode.SILO_CERT_MISMATCH,
  AggregatorErrorCode.SILO_NOT_ENROLLED,
  AggregatorErrorCode.SILO_REVOKED,
  AggregatorErrorCode.SILO_NAME_INVALID,
  AggregatorErrorCode.UPDATE_WRONG_ROUND,
  AggregatorErrorCode.JOB_NOT_RUNNING,
  AggregatorErrorCode.UPDATE_NOT_PARTICIPANT,
]);

function malformed(message: string): AggregatorException {
  return new AggregatorException(AggregatorErrorCode.UPDATE_MALFORMED, message);
}

export function modelChunks(
  jobId: string,
  round: number,
  spec: { model?: { template: string; hiddenUnits: number[] }; dataset?: { features: string[] } },
  weights: Buffer,
  digest: Buffer,
  privacy?: PrivacyStatement,
): ModelChunk[] {
  const model = spec.model ?? { template: 'logreg', hiddenUnits: [] };
  const header: ModelChunk = {
    header: {
      jobId,
      round,
      model,
      layout: modelLayout(model, spec.dataset?.features.length ?? 0),
      encoding: WeightsEncoding.WEIGHTS_ENCODING_FLOAT32,
      totalBytes: weights.byteLength,
      sha256: digest,
      privacy,
    },
  };
  return [header, ...chunkBytes(weights).map((data) => ({ data }))];
}

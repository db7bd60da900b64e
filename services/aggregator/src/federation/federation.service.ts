import { Inject, Injectable } from '@nestjs/common';
import type { Observable } from 'rxjs';
import type { Logger } from 'pino';
import {
  MAX_CHUNK_BYTES,
  WeightsEncoding,
  chunkBytes,
  sha256,
  unpackFloat32,
  type ConnectRequest,
  type DecideRequest,
  type GetModelRequest,
  type Metrics,
  type MetricsReport,
  type ModelChunk,
  type Receipt,
  type Task,
  type UpdateChunk,
  type UpdateHeader,
} from '@cohort/protocol';
import { modelLayout } from '@cohort/model';
import { AggregatorErrorCode, AggregatorException } from '../common/aggregator.exception.js';
import { LOGGER } from '../common/logger.provider.js';
import { JobRepository } from '../jobs/job.repository.js';
import { ActiveRounds } from '../rounds/active-rounds.service.js';
import { JobRunner } from '../rounds/job-runner.service.js';
import { ModelRepository } from '../rounds/model.repository.js';
import { RoundRepository } from '../rounds/round.repository.js';
import { SiloRepository } from './silo.repository.js';
import { SiloSessions } from './silo-sessions.service.js';
import { validateMetrics } from './metrics-validation.js';

@Injectable()
export class FederationService {
  constructor(
    private readonly sessions: SiloSessions,
    private readonly silos: SiloRepository,
    private readonly jobs: JobRepository,
    private readonly rounds: RoundRepository,
    private readonly models: ModelRepository,
    private readonly activeRounds: ActiveRounds,
    private readonly runner: JobRunner,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  async connect(request: ConnectRequest): Promise<Observable<Task>> {
    const siloId = requireSiloId(request.siloId);
    const datasetIds = request.capabilities?.datasetIds ?? [];
    await this.silos.touch(siloId, datasetIds);
    this.log.info({ siloId, datasetIds }, 'silo connected');
    return this.sessions.open(siloId, datasetIds);
  }

  async decide(request: DecideRequest): Promise<void> {
    const siloId = requireSiloId(request.siloId);
    const job = await this.jobs.get(request.jobId);
    if (!job)
      throw new AggregatorException(AggregatorErrorCode.JOB_NOT_FOUND, `job ${request.jobId} does not exist`);
    await this.jobs.recordDecision(job.id, siloId, request.accept, request.reason);
    this.log.info(
      { jobId: job.id, siloId, accept: request.accept, reason: request.reason },
      'silo decided on a job',
    );
    this.runner.recordDecision(job.id, siloId, request.accept, request.reason);
  }

  /**
   * Receives one update: the header is checked before any payload byte is kept; the payload must be exactly
   * the model's size and match its digest; only then is it folded into the round's mean.
   */
  async upload(chunks: Observable<UpdateChunk>): Promise<Receipt> {
    let header: UpdateHeader | undefined;
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
        return await this.acceptPayload(header, payload, received);
      } catch (err) {
        if (!(err instanceof AggregatorException)) throw err;
        failure = err;
      }
    }
    failure ??= malformed('the upload ended before its header arrived');
    if (header) await this.recordRejection(header, failure);
    throw failure;
  }

  reportMetrics(report: MetricsReport): void {
    const siloId = requireSiloId(report.siloId);
    const active = this.activeRounds.require(report.jobId, report.round);
    const metrics: Metrics = validateMetrics(report.metrics, siloId);
    active.recordMetrics(siloId, metrics);
  }

  async getModel(request: GetModelRequest): Promise<ModelChunk[]> {
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
    const siloId = requireSiloId(header.siloId);
    const active = this.activeRounds.require(header.jobId, header.round);
    active.admit(siloId, header.nonce);
    if (header.encoding !== WeightsEncoding.WEIGHTS_ENCODING_FLOAT32) {
      throw new AggregatorException(
        AggregatorErrorCode.UPDATE_UNSUPPORTED_ENCODING,
        `encoding ${WeightsEncoding[header.encoding] ?? header.encoding} is not supported; send float32`,
      );
    }
    const expected = active.parameterCount * 4;
    if (header.payloadBytes !== expected) {
      throw new AggregatorException(
        AggregatorErrorCode.UPDATE_SIZE_MISMATCH,
        `the update declares ${header.payloadBytes} bytes (${header.payloadBytes / 4} values); the model has ` +
          `${active.parameterCount} parameters (${expected} bytes)`,
      );
    }
    if (!Number.isInteger(header.exampleCount) || header.exampleCount <= 0) {
      throw malformed(`the example count must be a positive integer, got ${header.exampleCount}`);
    }
    return expected;
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
    active.accept(
      { siloId: header.siloId, exampleCount: header.exampleCount, trainMs: header.trainMs },
      unpackFloat32(payload),
    );
    await this.rounds.setUpdate(header.jobId, header.round, header.siloId, 'accepted', {
      exampleCount: header.exampleCount,
      trainMs: header.trainMs,
    });
    return {
      jobId: header.jobId,
      round: header.round,
      siloId: header.siloId,
      payloadSha256: digest,
      receivedAtUnixMs: Date.now(),
      signature: '',
    };
  }

  private async recordRejection(header: UpdateHeader, failure: AggregatorException): Promise<void> {
    this.log.warn(
      {
        jobId: header.jobId,
        round: header.round,
        siloId: header.siloId,
        code: failure.code,
        reason: failure.message,
      },
      'update rejected',
    );
    const active = this.activeRounds.all().find((r) => r.jobId === header.jobId && r.round === header.round);
    if (!active?.isParticipant(header.siloId)) return;
    // A replay must not overwrite the record of the update that was accepted.
    if (failure.code === AggregatorErrorCode.UPDATE_DUPLICATE || active.accepted.has(header.siloId)) return;
    await this.rounds.setUpdate(header.jobId, header.round, header.siloId, 'rejected', {
      reason: `${failure.code}: ${failure.message}`,
    });
    // A content error will not fix itself: stop waiting for this silo so the round closes on the others.
    if (failure.code !== AggregatorErrorCode.UPDATE_WRONG_ROUND) active.drop(header.siloId);
  }
}

function malformed(message: string): AggregatorException {
  return new AggregatorException(AggregatorErrorCode.UPDATE_MALFORMED, message);
}

function requireSiloId(siloId: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(siloId)) {
    throw new AggregatorException(
      AggregatorErrorCode.SILO_UNKNOWN,
      `silo id ${JSON.stringify(siloId)} is not valid (1-63 letters, digits, '.', '_' or '-')`,
    );
  }
  return siloId;
}

export function modelChunks(
  jobId: string,
  round: number,
  spec: { model?: { template: string; hiddenUnits: number[] }; dataset?: { features: string[] } },
  weights: Buffer,
  digest: Buffer,
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
    },
  };
  return [header, ...chunkBytes(weights).map((data) => ({ data }))];
}

import { Inject, Injectable } from '@nestjs/common';
import type { Observable } from 'rxjs';
import type { Logger } from 'pino';
import {
  MAX_CHUNK_BYTES,
  SecAggStepKind,
  type SecAggAck,
  type SecAggChunk,
  type SecAggHeader,
} from '@cohort/protocol';
import { AggregatorErrorCode, AggregatorException } from '../common/aggregator.exception.js';
import { LOGGER } from '../common/logger.provider.js';
import { SiloGuard } from '../trust/silo-guard.service.js';
import type { CallLike } from '../trust/peer.js';
import { SecAggRounds } from './secagg-rounds.service.js';

/** Largest masked vector accepted: 64M words, far above any model this federation trains. */
const MAX_MASKED_BYTES = 256 * 1024 * 1024;

function invalid(message: string): AggregatorException {
  return new AggregatorException(AggregatorErrorCode.SECAGG_MESSAGE_INVALID, message);
}

/**
 * A silo's secure-aggregation message, as it streams in: the header first (checked against the caller's
 * certificate and enrolment), then the masked input's bytes for a MASK step. The round's state is in SecAggRounds.
 */
@Injectable()
export class SecAggService {
  constructor(
    private readonly rounds: SecAggRounds,
    private readonly guard: SiloGuard,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  async submit(chunks: Observable<SecAggChunk>, call?: CallLike): Promise<SecAggAck> {
    let header: SecAggHeader | undefined;
    let payload: Buffer | undefined;
    let received = 0;
    let failure: AggregatorException | undefined;
    await new Promise<void>((resolve, reject) => {
      chunks.subscribe({
        next: (chunk) => {
          if (failure) return;
          try {
            if (!header) {
              if (!chunk.header)
                throw invalid('the first chunk of a secure-aggregation message must carry the header');
              header = chunk.header;
              if (header.step === SecAggStepKind.SEC_AGG_STEP_KIND_MASK) {
                const size = Number(header.maskedBytes);
                if (!Number.isSafeInteger(size) || size <= 0 || size > MAX_MASKED_BYTES || size % 4 !== 0)
                  throw invalid(
                    `a masked input must be a positive multiple of 4 bytes up to ${MAX_MASKED_BYTES}`,
                  );
                payload = Buffer.alloc(size);
              }
              return;
            }
            if (chunk.header) throw invalid('a secure-aggregation message carries exactly one header');
            const data = chunk.data ?? new Uint8Array(0);
            if (data.byteLength > MAX_CHUNK_BYTES)
              throw invalid(`a chunk of ${data.byteLength} bytes exceeds the ${MAX_CHUNK_BYTES}-byte limit`);
            if (!payload || received + data.byteLength > payload.byteLength)
              throw invalid(
                `the masked input is longer than the ${payload?.byteLength ?? 0} bytes its header declared`,
              );
            payload.set(data, received);
            received += data.byteLength;
          } catch (err) {
            failure = err instanceof AggregatorException ? err : invalid((err as Error).message);
          }
        },
        error: (err: unknown) => reject(err instanceof Error ? err : new Error(String(err))),
        complete: () => resolve(),
      });
    });
    if (!header) throw failure ?? invalid('the message ended before its header arrived');
    // Only the enrolled silo, over its own certificate, may speak for itself in a round.
    await this.guard.require(header.siloId, call, 'secagg');
    if (failure) throw failure;
    if (payload && received !== payload.byteLength)
      throw invalid(
        `the masked input has ${received} of the ${payload.byteLength} bytes its header declared`,
      );
    try {
      this.rounds.receive(header, payload);
    } catch (err) {
      this.log.warn(
        { jobId: header.jobId, round: header.round, siloId: header.siloId, reason: (err as Error).message },
        'secure-aggregation message refused',
      );
      throw err;
    }
    return {};
  }
}

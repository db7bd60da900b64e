import type { WeightsEncoding } from '@cohort/protocol';
import { AggregatorErrorCode, AggregatorException } from '../common/aggregator.exception.js';
import { EnclaveCallError, type EnclaveClient } from './enclave.client.js';
import type {
  EnclaveDescription,
  EnclaveDp,
  EnclaveOutlierScore,
  EnclaveReplies,
  EnclaveRule,
  SealedUpdate,
} from './enclave-protocol.js';

/** Enclave refusals that mean the update itself is bad, mapped to the codes silos and operators see. */
const UPDATE_ERRORS: Record<string, AggregatorErrorCode> = {
  UPDATE_OPEN_FAILED: AggregatorErrorCode.UPDATE_OPEN_FAILED,
  UPDATE_SIZE_MISMATCH: AggregatorErrorCode.UPDATE_SIZE_MISMATCH,
  UPDATE_NON_FINITE: AggregatorErrorCode.UPDATE_NON_FINITE,
  UPDATE_DUPLICATE: AggregatorErrorCode.UPDATE_DUPLICATE,
  UPDATE_DIGEST_MISMATCH: AggregatorErrorCode.UPDATE_DIGEST_MISMATCH,
  UPDATE_UNSUPPORTED_ENCODING: AggregatorErrorCode.UPDATE_UNSUPPORTED_ENCODING,
  UPDATE_MALFORMED: AggregatorErrorCode.UPDATE_MALFORMED,
  ROUND_NOT_OPEN: AggregatorErrorCode.UPDATE_WRONG_ROUND,
};

/** The aggregator host's typed view of the enclave process (a Nest provider around EnclaveClient). */
export class EnclaveHost {
  constructor(private readonly client: EnclaveClient) {}

  get description(): EnclaveDescription {
    return this.client.description;
  }

  get alive(): boolean {
    return this.client.alive;
  }

  attest(nonce: Uint8Array, audience: string): Promise<string> {
    return this.wrap(this.client.call({ type: 'attest', nonce, audience })).then((r) => r.token);
  }

  async openRound(
    jobId: string,
    round: number,
    parameterCount: number,
    dp?: EnclaveDp,
    rule?: EnclaveRule,
    encoding?: WeightsEncoding,
  ): Promise<void> {
    await this.wrap(
      this.client.call({ type: 'open-round', jobId, round, parameterCount, dp, rule, encoding }),
    );
  }

  addUpdate(u: SealedUpdate): Promise<EnclaveReplies['add-update']> {
    return this.wrap(this.client.call({ type: 'add-update', ...u }));
  }

  /** The round's aggregate (weighted mean, or under DP the noised sum): the only value that leaves the enclave. */
  async release(
    jobId: string,
    round: number,
  ): Promise<{ aggregate: Float32Array; scores: EnclaveOutlierScore[] }> {
    const r = await this.wrap(this.client.call({ type: 'release', jobId, round }));
    const copy = new Uint8Array(r.aggregate);
    return { aggregate: new Float32Array(copy.buffer, 0, copy.byteLength / 4), scores: r.scores };
  }

  async discard(jobId: string, round: number): Promise<void> {
    await this.wrap(this.client.call({ type: 'discard-round', jobId, round }));
  }

  stop(): Promise<void> {
    return this.client.stop();
  }

  private async wrap<T>(p: Promise<T>): Promise<T> {
    try {
      return await p;
    } catch (err) {
      if (err instanceof EnclaveCallError) {
        const code = UPDATE_ERRORS[err.code];
        if (code) throw new AggregatorException(code, err.message);
        throw new AggregatorException(
          AggregatorErrorCode.ENCLAVE_UNAVAILABLE,
          `the enclave refused: ${err.message}`,
        );
      }
      throw err;
    }
  }
}

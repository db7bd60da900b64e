// Secure-aggregation failures carry a stable code so the aggregator can name why a round aborted, and which
// silo misbehaved, without parsing messages.

export type SecAggErrorCode =
  /** Parameters that cannot run: bits out of range, a threshold above the neighbourhood, too few silos. */
  | 'INVALID_PARAMETERS'
  /** Fewer silos than the threshold are left at a step, so the sum could not be unmasked: the round aborts. */
  | 'TOO_FEW_SURVIVORS'
  /** A silo dealt shares that do not match its commitments or do not lie on one polynomial. */
  | 'INCONSISTENT_SHARES'
  /** A message that does not parse, arrives at the wrong step, or names silos outside the round. */
  | 'MALFORMED_MESSAGE'
  /** The server asked for both a silo's self-mask and its pairwise key share: that would reveal its update. */
  | 'UNSAFE_REQUEST'
  /** A value outside the quantizer's range, or a sum that would overflow the modulus. */
  | 'OUT_OF_RANGE';

export class SecAggError extends Error {
  readonly code: SecAggErrorCode;
  /** The silo a failure is attributed to, when it is one silo's fault. */
  readonly silo?: string;

  constructor(code: SecAggErrorCode, message: string, silo?: string) {
    super(message);
    this.name = 'SecAggError';
    this.code = code;
    if (silo !== undefined) this.silo = silo;
  }
}

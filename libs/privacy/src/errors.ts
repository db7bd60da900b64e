// Privacy failures carry a stable code so the CLI, the aggregator and the silo's ledger can name the reason
// (exit statuses, job events, audit entries) without parsing messages.

export type PrivacyErrorCode =
  /** A sampling rate outside [0, 1] (the CLI asks for (0, 1]). */
  | 'INVALID_SAMPLING_RATE'
  /** A noise multiplier that is negative, NaN or infinite. */
  | 'INVALID_NOISE_MULTIPLIER'
  /** A step count that is not a non-negative safe integer. */
  | 'INVALID_STEPS'
  /** A delta outside the range the call accepts. */
  | 'INVALID_DELTA'
  /** An epsilon that is negative or NaN, or a target epsilon that is not positive. */
  | 'INVALID_EPSILON'
  /** An empty order list, an order not above 1, or orders and RDP values of different lengths. */
  | 'INVALID_ORDERS'
  /** A calibration tolerance outside (0, 1e-4]. */
  | 'INVALID_TOLERANCE'
  /** No noise multiplier up to the search limit reaches the target epsilon. */
  | 'TARGET_UNREACHABLE'
  /** A stored accountant that does not parse. */
  | 'INVALID_STATE';

export class PrivacyError extends Error {
  readonly code: PrivacyErrorCode;

  constructor(code: PrivacyErrorCode, message: string) {
    super(message);
    this.name = 'PrivacyError';
    this.code = code;
  }
}

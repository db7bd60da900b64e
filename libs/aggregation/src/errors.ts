// Aggregation failures carry a stable code so the aggregator can map them to job events and exit statuses.

/** Every way aggregation or a server optimiser step can refuse its input. */
export type AggregationErrorCode =
  | 'NO_UPDATES'
  | 'LENGTH_MISMATCH'
  | 'NON_FINITE_VALUE'
  | 'INVALID_WEIGHT'
  | 'INVALID_PARAMETER'
  | 'STATE_MISMATCH'
  | 'INVALID_STATE_ENCODING';

export class AggregationError extends Error {
  readonly code: AggregationErrorCode;

  constructor(code: AggregationErrorCode, message: string) {
    super(message);
    this.name = 'AggregationError';
    this.code = code;
  }
}

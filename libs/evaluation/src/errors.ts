export type EvaluationErrorCode = 'INVALID_METRICS';

export class EvaluationError extends Error {
  constructor(
    readonly code: EvaluationErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'EvaluationError';
  }
}

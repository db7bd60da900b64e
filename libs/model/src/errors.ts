/** Stable codes so callers (CLI, gRPC handlers) can map a model error without parsing its message. */
export type ModelErrorCode =
  'INVALID_MODEL_SPEC' | 'WEIGHTS_LENGTH_MISMATCH' | 'WEIGHTS_NOT_FINITE' | 'INVALID_SEED';

export class ModelError extends Error {
  constructor(
    readonly code: ModelErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ModelError';
  }
}

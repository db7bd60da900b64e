/** Stable codes so a silo can report why training or evaluation refused to run. */
export type TrainingErrorCode = 'INVALID_DATA' | 'INVALID_OPTIONS' | 'TRAINING_DIVERGED';

export class TrainingError extends Error {
  constructor(
    readonly code: TrainingErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'TrainingError';
  }
}

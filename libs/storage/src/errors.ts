// Storage failures carry a stable code and a message a person can act on; SQL errors from the server are
// passed through unchanged (both drivers give them the SQLSTATE in `.code`).

export type StorageErrorCode =
  | 'CONNECTION_FAILED'
  | 'DATABASE_LOCKED'
  | 'DATABASE_CLOSED'
  | 'TRANSACTION_MISUSE'
  | 'TRANSACTION_ABORTED'
  | 'INT8_OUT_OF_RANGE'
  | 'MIGRATION_INVALID'
  | 'MIGRATION_CHANGED'
  | 'MIGRATION_MISSING'
  | 'MIGRATION_FAILED'
  | 'TEST_DATABASE_FAILED';

export class StorageError extends Error {
  readonly code: StorageErrorCode;

  constructor(code: StorageErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StorageError';
    this.code = code;
  }
}

/** Refuses the use of a database after its close(). */
export function assertDatabaseOpen(closed: boolean, description: string | undefined): void {
  if (closed) throw new StorageError('DATABASE_CLOSED', `the database (${description}) is closed`);
}

/** Stable codes, so the CLI and the silo agent can react to a data problem without parsing prose. */
export type DataErrorCode =
  | 'DATA_CONFIG_INVALID'
  | 'DATA_FILE_UNREADABLE'
  | 'DATA_HEADER_MISMATCH'
  | 'DATA_TOO_MANY_BAD_ROWS'
  | 'DATA_NO_USABLE_ROWS'
  | 'DATA_MISSING_FEATURE'
  | 'DATA_INVALID_FEATURES';

/**
 * A problem with a silo's data or its dataset configuration. Messages name files, lines and counts; they
 * never carry record values, except the offending cell text of a row that failed to parse (which stays local).
 */
export class DataError extends Error {
  readonly code: DataErrorCode;

  constructor(code: DataErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DataError';
    this.code = code;
  }
}

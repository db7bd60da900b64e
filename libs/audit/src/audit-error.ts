// Audit failures carry a stable code so callers can tell a refused entry from a damaged log file, and a
// message a compliance officer or site admin can act on. Verification findings are not errors: verifyAudit
// returns them as a fault (see verify.ts), since a tampered log is an expected input there.

export type AuditErrorCode =
  /** An entry's seq, time, actor, action, subject or hashes are unusable. */
  | 'ENTRY_INVALID'
  /** Details are not a plain JSON object, or break the privacy guard (depth, lengths, numeric arrays). */
  | 'DETAILS_INVALID'
  /** A hash is not 64 lowercase hexadecimal characters. */
  | 'HASH_INVALID'
  /** The checkpoint signing key is not an Ed25519 private key, or a verification key not an Ed25519 public key. */
  | 'KEY_INVALID'
  /** A checkpoint record is structurally unusable (missing fields, toSeq before fromSeq …). */
  | 'CHECKPOINT_INVALID'
  /** Stored rows contradict the log's own invariants (a hole inside a range being checkpointed …). */
  | 'STORE_CORRUPT'
  /** Another writer kept winning the race for the head; the batch was not written. */
  | 'APPEND_CONFLICT'
  /** The log file's last line is incomplete: a write was interrupted. The message names line and byte. */
  | 'FILE_TORN'
  /** A line of the log file is not a header, entry or checkpoint record, or breaks the sequence. */
  | 'FILE_CORRUPT'
  /** The log file could not be read or written. */
  | 'FILE_IO'
  /** append/checkpoint after close(), or on a store whose last write failed halfway. */
  | 'LOG_CLOSED'
  /** A line of an export does not parse; the message names the line. */
  | 'EXPORT_MALFORMED'
  /** An export ends before its footer: it was cut short in transit. */
  | 'EXPORT_TRUNCATED'
  /** Arguments to verifyAudit, a filter or a bench are unusable. */
  | 'INVALID_ARGUMENT';

export class AuditError extends Error {
  readonly code: AuditErrorCode;

  constructor(code: AuditErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AuditError';
    this.code = code;
  }
}

export { errorCodeOf, messageOf } from '@cohort/identity';

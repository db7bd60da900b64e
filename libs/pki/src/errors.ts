// PKI failures carry a stable code so `cohort init`, enrolment and the services can tell a person exactly which
// file or request to fix; the underlying parser or crypto error is kept as `cause`.

export type PkiErrorCode =
  /** createLocalCa would overwrite an existing CA, which would orphan every certificate it issued. */
  | 'CA_EXISTS'
  /** ca.crt or ca.key is missing. */
  | 'CA_NOT_FOUND'
  /** ca.crt is not a CA certificate we can sign with (unparseable, no CA basic constraint, no keyCertSign). */
  | 'CA_INVALID'
  /** ca.key is unreadable, not ECDSA P-256, or does not belong to ca.crt. */
  | 'CA_KEY_MISMATCH'
  /** A certificate signing request is unparseable, badly self-signed, of an unsupported key, or names someone else. */
  | 'CSR_INVALID'
  /** TLS certificate or key files are missing. */
  | 'TLS_FILES_NOT_FOUND'
  /** A caller-supplied name, validity or combination of options is unusable. */
  | 'INVALID_ARGUMENT';

export class PkiError extends Error {
  readonly code: PkiErrorCode;

  constructor(code: PkiErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PkiError';
    this.code = code;
  }
}

// Sealing failures carry a stable code so the enclave can refuse an update with a reason the silo and the audit
// trail can both name. The underlying HPKE error is kept as `cause` for logs; it never changes the code.

export type SealingErrorCode =
  /** The sealed bytes are too short to hold an encapsulated key and an AEAD tag. */
  | 'SEALED_MALFORMED'
  /** Tampered ciphertext or encapsulated key, the wrong private key, or a different AAD: HPKE cannot tell these apart. */
  | 'SEALED_OPEN_FAILED'
  /** The recipient public key is not a usable 32-byte X25519 key. */
  | 'SEALING_KEY_INVALID'
  /** An update header field cannot be encoded canonically. */
  | 'AAD_INVALID';

export class SealingError extends Error {
  readonly code: SealingErrorCode;

  constructor(code: SealingErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SealingError';
    this.code = code;
  }
}

// Attestation failures carry a stable code so a silo can decline a round, and both sides can audit it,
// without parsing prose. Every refusal of a token has its own code.

/** Every way measuring a bundle, issuing or verifying an attestation token can fail. */
export type AttestationErrorCode =
  // measuring the enclave (or agent) code bundle
  | 'MEASUREMENT_FILE_MISSING'
  | 'MEASUREMENT_FILE_UNREADABLE'
  | 'MEASUREMENT_PATH_INVALID'
  | 'MEASUREMENT_EMPTY'
  // verifying a token
  | 'ATTESTATION_MALFORMED'
  | 'ATTESTATION_SIGNATURE'
  | 'ATTESTATION_ISSUER'
  | 'ATTESTATION_AUDIENCE'
  | 'ATTESTATION_EXPIRED'
  | 'ATTESTATION_NONCE'
  | 'ATTESTATION_MEASUREMENT'
  | 'ATTESTATION_DEBUG'
  | 'ATTESTATION_KEY_BINDING'
  | 'ATTESTATION_JWKS_UNAVAILABLE'
  // configuration and issuing
  | 'ATTESTATION_CONFIG_INVALID'
  | 'ATTESTATION_EVIDENCE_INVALID'
  | 'ATTESTATION_AUTHORITY_KEY_INVALID';

export class AttestationError extends Error {
  readonly code: AttestationErrorCode;

  constructor(code: AttestationErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AttestationError';
    this.code = code;
  }
}

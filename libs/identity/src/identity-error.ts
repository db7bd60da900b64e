// Identity failures carry a stable code so the aggregator, the silo agent and the CLI can tell a forged
// update from a replayed one, and a message a site admin can act on.

export type IdentityErrorCode =
  /** The identity key file is readable or writable by group or others. */
  | 'IDENTITY_KEY_INSECURE'
  /** A key is not an Ed25519 key of the expected kind, or raw key bytes are not 32 bytes. */
  | 'IDENTITY_KEY_INVALID'
  /** The identity key file or its folder could not be read or written. */
  | 'IDENTITY_KEY_IO'
  /** The claims to sign or to check against are themselves unusable (empty id, round out of range …). */
  | 'CLAIMS_INVALID'
  /** Not a compact JWS of the expected kind (syntax, alg, typ, kid, payload length). */
  | 'SIGNATURE_MALFORMED'
  /** The signature does not verify under the given key (forged, or signed by another key). */
  | 'SIGNATURE_INVALID'
  /** A valid signature, but over different claims (other job, round, silo, nonce or payload). */
  | 'SIGNATURE_MISMATCH'
  /** A join token is not of the form cjt_<43 base64url characters>. */
  | 'JOIN_TOKEN_MALFORMED'
  /** Arguments to create a join token are unusable (empty silo name, non-positive TTL …). */
  | 'JOIN_TOKEN_INVALID_REQUEST';

export class IdentityError extends Error {
  readonly code: IdentityErrorCode;

  constructor(code: IdentityErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'IdentityError';
    this.code = code;
  }
}

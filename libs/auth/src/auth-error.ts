// Authentication and authorisation failures carry a stable code so the gateway can choose the HTTP status
// (401 for a bad token, 403 for a missing role, 503 when the issuer cannot be reached) and the CLI can tell a
// person to log in again rather than to call an administrator. Messages never contain the token itself.

export type AuthErrorCode =
  /** No token: no Authorization header, an empty one, or the scheme without a token. */
  | 'TOKEN_MISSING'
  /** Not a compact JWT (wrong scheme, not three base64url parts, unreadable header or claims, no `sub`/`exp`). */
  | 'TOKEN_MALFORMED'
  /** The token's `exp` lies further in the past than the clock tolerance allows. */
  | 'TOKEN_EXPIRED'
  /** The token's `nbf` lies further in the future than the clock tolerance allows. */
  | 'TOKEN_NOT_YET_VALID'
  /** The signature does not verify, or no key of the issuer has the token's `kid`. */
  | 'TOKEN_SIGNATURE'
  /** The token names another issuer (`iss`) than the one configured. */
  | 'TOKEN_ISSUER'
  /** The token was not issued for this service (`aud`). */
  | 'TOKEN_AUDIENCE'
  /** The token's `alg` is not an allowed asymmetric algorithm (`none`, HS256 …). */
  | 'TOKEN_ALGORITHM'
  /** A development token presented to a verifier configured with `rejectDevTokens`. */
  | 'TOKEN_DEV_REJECTED'
  /** The token verifies, but its role claim holds none of the roles Cohort knows. */
  | 'ROLE_MISSING'
  /** The issuer's discovery document or key set could not be fetched or is unusable. */
  | 'ISSUER_UNREACHABLE'
  /** Options or arguments are unusable (issuer not a URL, symmetric algorithm allowed, empty subject …). */
  | 'INVALID_ARGUMENT'
  /** A token or key file is readable or writable by group or others. */
  | 'FILE_INSECURE'
  /** A token or key file or its folder could not be read or written. */
  | 'FILE_IO'
  /** The development issuer's key file does not hold a usable key. */
  | 'DEV_KEY_INVALID';

export class AuthError extends Error {
  readonly code: AuthErrorCode;

  constructor(code: AuthErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AuthError';
    this.code = code;
  }
}

// One-time, expiring join tokens for enrolment. A site admin hands the token to the hospital out of band; the
// aggregator stores only its SHA-256 (a leaked database does not let anyone enrol) and the expiry, and marks
// it used on the first enrolment. The token is 256 random bits, so its hash needs no salt or slow KDF.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { IdentityError } from './identity-error.js';

export const JOIN_TOKEN_PREFIX = 'cjt_';
const TOKEN_BYTES = 32;
// 32 bytes are 43 unpadded base64url characters; the prefix lets secret scanners and people recognise it.
const JOIN_TOKEN_PATTERN = /^cjt_[A-Za-z0-9_-]{43}$/;
const HASH_PATTERN = /^[0-9a-f]{64}$/;
const MAX_SILO_NAME_LENGTH = 200;

export interface JoinToken {
  /** Shown once to the admin: 'cjt_' + base64url(32 random bytes). */
  token: string;
  /** Lowercase hex SHA-256 of the token's UTF-8 text: the only form the aggregator keeps. */
  tokenHash: string;
  expiresAtUnixMs: number;
}

/** A fresh join token for `siloName`, valid for `ttlMs` from `now`. */
export function createJoinToken(siloName: string, ttlMs: number, now: number = Date.now()): JoinToken {
  if (typeof siloName !== 'string' || siloName.trim() === '' || siloName.length > MAX_SILO_NAME_LENGTH) {
    throw new IdentityError(
      'JOIN_TOKEN_INVALID_REQUEST',
      `a join token needs a silo name of 1 to ${MAX_SILO_NAME_LENGTH} characters`,
    );
  }
  if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0) {
    throw new IdentityError(
      'JOIN_TOKEN_INVALID_REQUEST',
      `the join token lifetime must be a positive whole number of milliseconds, got ${String(ttlMs)}`,
    );
  }
  if (!Number.isSafeInteger(now) || now < 0 || !Number.isSafeInteger(now + ttlMs)) {
    throw new IdentityError(
      'JOIN_TOKEN_INVALID_REQUEST',
      `the join token would expire at an unrepresentable time`,
    );
  }
  const token = JOIN_TOKEN_PREFIX + randomBytes(TOKEN_BYTES).toString('base64url');
  return { token, tokenHash: hashJoinToken(token), expiresAtUnixMs: now + ttlMs };
}

/** The stored form of a join token; `JOIN_TOKEN_MALFORMED` for anything that is not one. */
export function hashJoinToken(token: string): string {
  if (!isJoinTokenFormat(token)) {
    throw new IdentityError(
      'JOIN_TOKEN_MALFORMED',
      `a join token is "${JOIN_TOKEN_PREFIX}" followed by 43 base64url characters; check it was copied whole`,
    );
  }
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** True when `token` has the join-token form (never echo the token itself in errors or logs). */
export function isJoinTokenFormat(token: string): boolean {
  if (typeof token !== 'string' || !JOIN_TOKEN_PATTERN.test(token)) return false;
  // The 43rd character carries 2 unused bits; only the canonical spelling is a token, so that one token has
  // exactly one hash.
  const body = token.slice(JOIN_TOKEN_PREFIX.length);
  return Buffer.from(body, 'base64url').toString('base64url') === body;
}

/**
 * Whether `token` is the one whose hash is `storedHash`, compared in constant time. False (never a throw) for
 * a malformed token or hash, so a caller's refusal path is the same for every wrong token.
 */
export function joinTokenMatches(token: string, storedHash: string): boolean {
  if (!isJoinTokenFormat(token) || typeof storedHash !== 'string' || !HASH_PATTERN.test(storedHash))
    return false;
  return constantTimeEqual(Buffer.from(hashJoinToken(token), 'hex'), Buffer.from(storedHash, 'hex'));
}

/** A token expires at `expiresAtUnixMs` exactly: usable while `now` is strictly before it. */
export function joinTokenExpired(expiresAtUnixMs: number, now: number = Date.now()): boolean {
  return !(now < expiresAtUnixMs);
}

/**
 * Equality of two byte strings in time independent of where they differ. Lengths are not secret (hashes and
 * tokens have fixed lengths), so different lengths return false at once.
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && timingSafeEqual(a, b);
}

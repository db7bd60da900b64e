// Where `cohort login` keeps the user's token between commands. A token is a password for its lifetime, so its
// file gets the same treatment as a private key: 0600, folder 0700, and refused once others could read it.
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { AuthError } from './auth-error.js';
import { DEV_TOKEN_CLAIM, extractToken, readName, readRoleClaim } from './claims.js';
import { messageOf } from './error-details.js';
import { readPrivateFile, replacePrivateFile } from './private-file.js';
import type { Role } from './roles.js';

/** Saves a token (or "Bearer <token>") to `path`, mode 0600, replacing an earlier one. */
export async function saveToken(path: string, token: string): Promise<void> {
  const bare = extractToken(token);
  decodeUnverified(bare);
  await replacePrivateFile(path, `${bare}\n`, 'token file');
}

/**
 * The token saved at `path`, or undefined when there is none (not logged in). FILE_INSECURE when group or
 * others may access the file; TOKEN_MALFORMED when it holds no token. The token is not verified here: the
 * gateway does that on every request.
 */
export async function loadToken(path: string): Promise<string | undefined> {
  const text = await readPrivateFile(
    path,
    'token file',
    `Delete it and log in again (cohort login): the token may have been read, and the new file is written 0600.`,
  );
  if (text === undefined) return undefined;
  try {
    return extractToken(text);
  } catch (cause) {
    if (cause instanceof AuthError && cause.code === 'TOKEN_MISSING') return undefined;
    throw new AuthError('TOKEN_MALFORMED', `token file ${path} holds no usable token: ${messageOf(cause)}`, {
      cause,
    });
  }
}

/** What a token says about itself, read WITHOUT checking its signature: for display only, never for access. */
export interface UnverifiedTokenClaims {
  subject?: string;
  name?: string;
  /** The known roles in the role claim. */
  roles: Role[];
  /** Other strings in the role claim, which Cohort ignores. */
  otherRoles: string[];
  issuer?: string;
  audience: string[];
  expiresAt?: Date;
  /** True when `exp` is at or before `now`. */
  expired: boolean;
  /** Minted by the built-in development issuer. */
  development: boolean;
  keyId?: string;
  algorithm?: string;
}

export interface DecodeOptions {
  /** As the verifier's roleClaim; default "roles". */
  roleClaim?: string;
  /** As the verifier's usernameClaim; default "preferred_username", falling back to `sub`. */
  usernameClaim?: string;
  now?: Date;
}

/**
 * Reads a token's claims for display (`cohort whoami`, the expiry after `cohort login`). The signature is NOT
 * checked, so nothing here may decide access. TOKEN_MALFORMED when it is not a JWT.
 */
export function decodeUnverified(token: string, options: DecodeOptions = {}): UnverifiedTokenClaims {
  const bare = extractToken(token);
  let claims: Record<string, unknown>;
  let header: { kid?: unknown; alg?: unknown };
  try {
    claims = decodeJwt(bare);
    header = decodeProtectedHeader(bare);
  } catch (cause) {
    throw new AuthError('TOKEN_MALFORMED', `the token is not a JWT: ${messageOf(cause)}`, { cause });
  }
  const { roles, unknown } = readRoleClaim(claims, options.roleClaim ?? 'roles');
  const exp = typeof claims.exp === 'number' && Number.isFinite(claims.exp) ? claims.exp : undefined;
  const now = (options.now ?? new Date()).getTime();
  const aud = claims.aud;
  return {
    subject: typeof claims.sub === 'string' ? claims.sub : undefined,
    name: readName(claims, options.usernameClaim ?? 'preferred_username'),
    roles,
    otherRoles: unknown,
    issuer: typeof claims.iss === 'string' ? claims.iss : undefined,
    audience:
      typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud.filter((a) => typeof a === 'string') : [],
    expiresAt: exp === undefined ? undefined : new Date(exp * 1000),
    expired: exp !== undefined && exp * 1000 <= now,
    development: claims[DEV_TOKEN_CLAIM] === true,
    keyId: typeof header.kid === 'string' ? header.kid : undefined,
    algorithm: typeof header.alg === 'string' ? header.alg : undefined,
  };
}

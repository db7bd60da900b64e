// Reading Cohort's view of a token's claims: the role claim at a configurable path, the username, and the
// Authorization header around the token. Shared by the verifier and the unverified display decoder.
import { AuthError } from './auth-error.js';
import { isRole, type Role } from './roles.js';

// Real tokens are a few kilobytes; a header far larger is refused before any parsing or key lookup.
export const MAX_TOKEN_LENGTH = 16 * 1024;
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/**
 * The compact token inside an Authorization header value ("Bearer <token>") or the bare token.
 * `TOKEN_MISSING` for nothing at all; `TOKEN_MALFORMED` for another scheme or a value that is not a compact JWS.
 */
export function extractToken(authorizationHeaderOrToken: string | undefined | null): string {
  if (typeof authorizationHeaderOrToken !== 'string' || authorizationHeaderOrToken.trim() === '') {
    throw new AuthError(
      'TOKEN_MISSING',
      'no bearer token: send "Authorization: Bearer <token>" (the CLI sends it after `cohort login`)',
    );
  }
  const value = authorizationHeaderOrToken.trim();
  if (value.toLowerCase() === 'bearer') {
    throw new AuthError('TOKEN_MISSING', 'the Authorization header says Bearer but carries no token');
  }
  let token = value;
  const space = value.search(/\s/);
  if (space !== -1) {
    const scheme = value.slice(0, space);
    if (scheme.toLowerCase() !== 'bearer') {
      throw new AuthError(
        'TOKEN_MALFORMED',
        `the Authorization scheme must be Bearer, got ${describe(scheme, 20)}`,
      );
    }
    token = value.slice(space).trim();
  }
  if (token.length > MAX_TOKEN_LENGTH) {
    throw new AuthError(
      'TOKEN_MALFORMED',
      `the token is ${token.length} characters long, more than the ${MAX_TOKEN_LENGTH} accepted`,
    );
  }
  if (!COMPACT_JWS.test(token)) {
    throw new AuthError(
      'TOKEN_MALFORMED',
      'the token is not a compact JWT (three base64url parts separated by dots); check it was copied whole',
    );
  }
  return token;
}

/**
 * The value at `path` in the claims. A claim whose own name contains dots (Auth0-style namespaced claims such
 * as "https://cohort.example/roles") is found by its whole name first; otherwise the path is walked one
 * dot-separated segment at a time, as Keycloak's "realm_access.roles".
 */
export function claimAt(claims: Record<string, unknown>, path: string): unknown {
  if (Object.hasOwn(claims, path)) return claims[path];
  let current: unknown = claims;
  for (const segment of path.split('.')) {
    if (typeof current !== 'object' || current === null || Array.isArray(current)) return undefined;
    if (!Object.hasOwn(current, segment)) return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}

export interface RoleClaimReading {
  /** Known roles, deduplicated, in the order the claim lists them. */
  roles: Role[];
  /** The other strings the claim held (shown to help an administrator map roles; never used). */
  unknown: string[];
  /** Whether the claim exists at all. */
  present: boolean;
}

/** The roles in the claim at `path`: a single string or an array of strings; other values hold no role. */
export function readRoleClaim(claims: Record<string, unknown>, path: string): RoleClaimReading {
  const value = claimAt(claims, path);
  const strings =
    typeof value === 'string'
      ? [value]
      : Array.isArray(value)
        ? value.filter((item): item is string => typeof item === 'string')
        : [];
  const roles: Role[] = [];
  const unknown: string[] = [];
  for (const item of strings) {
    if (isRole(item)) {
      if (!roles.includes(item)) roles.push(item);
    } else if (!unknown.includes(item)) {
      unknown.push(item);
    }
  }
  return { roles, unknown, present: value !== undefined };
}

/** The username claim when it is a non-empty string, else `sub`, else undefined. */
export function readName(claims: Record<string, unknown>, usernameClaim: string): string | undefined {
  const name = claimAt(claims, usernameClaim);
  if (typeof name === 'string' && name.trim() !== '') return name;
  return typeof claims.sub === 'string' && claims.sub !== '' ? claims.sub : undefined;
}

/**
 * A token-supplied value quoted for an error message: JSON-quoted (so control characters cannot forge log
 * lines) and cut to `max` characters, since the token's author chose it.
 */
export function describe(value: unknown, max = 120): string {
  if (value === undefined) return '(none)';
  let text: string;
  try {
    text = JSON.stringify(value) ?? `(${typeof value})`;
  } catch {
    // BigInt and circular values cannot be JSON; their type is enough to act on.
    text = typeof value === 'bigint' ? value.toString() : `(${typeof value})`;
  }
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** Marks a token minted by the built-in development issuer; `rejectDevTokens` verifiers refuse it. */
export const DEV_TOKEN_CLAIM = 'cohort_dev';

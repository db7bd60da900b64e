// Verifies the bearer tokens of an OpenID Connect provider (Keycloak, Entra ID, the development issuer) and
// turns them into a Principal. Only asymmetric algorithms are accepted: with a shared secret (HS256) every
// party that can verify could also mint tokens.
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeProtectedHeader,
  jwtVerify,
  type JSONWebKeySet,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import { AuthError } from './auth-error.js';
import { DEV_TOKEN_CLAIM, describe, extractToken, readName, readRoleClaim } from './claims.js';
import { errorCodeOf, reasonOf } from './error-details.js';
import type { Principal } from './principal.js';
import { ROLES } from './roles.js';

export const DEFAULT_ALLOWED_ALGORITHMS: readonly string[] = Object.freeze([
  'RS256',
  'ES256',
  'EdDSA',
  'PS256',
]);
const ASYMMETRIC_ALGORITHMS: ReadonlySet<string> = new Set([
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
]);
const DEFAULT_CLOCK_TOLERANCE_SECONDS = 60;
const DEFAULT_FETCH_TIMEOUT_MS = 5000;
const DISCOVERY_PATH = '/.well-known/openid-configuration';

export interface TokenVerifierOptions {
  /** The provider's issuer exactly as its tokens' `iss` spell it (trailing slash included, if any). */
  issuer: string;
  /** This service's identifier as the tokens' `aud` carry it (Keycloak client id, Entra ID application). */
  audience: string;
  /** Where the signing keys are; when neither this nor `jwks` is given, read from the discovery document. */
  jwksUri?: string;
  /** A local key set (tests, the development issuer in the same process); no network is used. */
  jwks?: JSONWebKeySet;
  /** Allowed clock skew for `exp` and `nbf`; default 60. */
  clockToleranceSeconds?: number;
  /** Where the roles are: "roles" (Entra ID app roles, default) or a dotted path ("realm_access.roles"). */
  roleClaim?: string;
  /** The display name; default "preferred_username", falling back to `sub`. */
  usernameClaim?: string;
  /** Default RS256, ES256, EdDSA, PS256. Symmetric algorithms and "none" are refused. */
  allowedAlgorithms?: readonly string[];
  /** Refuse tokens of the built-in development issuer (production configurations). Default false. */
  rejectDevTokens?: boolean;
  /** Plain http to a host other than loopback (a provider inside a closed network). Default false. */
  allowInsecureHttp?: boolean;
  /** Per request to the discovery document and the key set; default 5000. */
  fetchTimeoutMs?: number;
}

export interface TokenVerifier {
  readonly issuer: string;
  readonly audience: string;
  /**
   * The principal of an Authorization header value ("Bearer <token>") or a bare token. Every failure is an
   * AuthError: TOKEN_* for the token, ROLE_MISSING, ISSUER_UNREACHABLE when the keys cannot be fetched.
   */
  verify(authorizationHeaderOrToken: string | undefined): Promise<Principal>;
}

interface VerifierConfig {
  issuer: string;
  audience: string;
  clockToleranceSeconds: number;
  roleClaim: string;
  usernameClaim: string;
  algorithms: string[];
  rejectDevTokens: boolean;
  allowInsecureHttp: boolean;
  fetchTimeoutMs: number;
}

/**
 * A verifier for one issuer and audience. Nothing is fetched here: the discovery document and the key set are
 * fetched on the first verification (and again after a failure), so a service can start while its identity
 * provider is still starting.
 */
export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  const config = configOf(options);
  const getKey = keyResolver(options, config);
  return {
    issuer: config.issuer,
    audience: config.audience,
    async verify(authorizationHeaderOrToken: string | undefined): Promise<Principal> {
      const token = extractToken(authorizationHeaderOrToken);
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, getKey, {
          issuer: config.issuer,
          audience: config.audience,
          algorithms: config.algorithms,
          clockTolerance: config.clockToleranceSeconds,
          requiredClaims: ['exp', 'sub'],
        }));
      } catch (error) {
        throw translate(error, token, config);
      }
      return principalOf(payload, config);
    },
  };
}

function principalOf(payload: JWTPayload, config: VerifierConfig): Principal {
  if (
    config.rejectDevTokens &&
    payload[DEV_TOKEN_CLAIM] !== undefined &&
    payload[DEV_TOKEN_CLAIM] !== false
  ) {
    throw new AuthError(
      'TOKEN_DEV_REJECTED',
      'this is a development token (cohort_dev); this service accepts tokens of its identity provider only',
    );
  }
  const subject = payload.sub;
  if (typeof subject !== 'string' || subject.trim() === '') {
    throw new AuthError('TOKEN_MALFORMED', 'the token\'s "sub" claim is not a non-empty string');
  }
  if (typeof payload.exp !== 'number') {
    throw new AuthError('TOKEN_MALFORMED', 'the token\'s "exp" claim is not a number');
  }
  const { roles, unknown, present } = readRoleClaim(payload, config.roleClaim);
  if (roles.length === 0) {
    const found = present
      ? unknown.length > 0
        ? `holds only ${describe(unknown.slice(0, 8))}`
        : 'holds no role name'
      : 'is absent';
    throw new AuthError(
      'ROLE_MISSING',
      `the token's "${config.roleClaim}" claim ${found}: assign the user one of ${ROLES.join(', ')} at the ` +
        `identity provider, or point roleClaim at the claim where the provider puts roles`,
    );
  }
  return {
    subject,
    name: readName(payload, config.usernameClaim) ?? subject,
    roles,
    issuer: config.issuer,
    expiresAt: new Date(payload.exp * 1000),
  };
}

function configOf(options: TokenVerifierOptions): VerifierConfig {
  if (typeof options !== 'object' || options === null) {
    throw new AuthError('INVALID_ARGUMENT', 'createTokenVerifier needs an options object');
  }
  const allowInsecureHttp = options.allowInsecureHttp === true;
  const issuer = requireText(options.issuer, 'issuer');
  // The issuer is only a name to compare with `iss` unless its discovery document is to be fetched.
  const discovers = options.jwks === undefined && options.jwksUri === undefined;
  requireSafeUrl(issuer, 'issuer', allowInsecureHttp || !discovers, 'INVALID_ARGUMENT');
  const audience = requireText(options.audience, 'audience');
  if (options.jwks !== undefined && options.jwksUri !== undefined) {
    throw new AuthError('INVALID_ARGUMENT', 'give either jwks (a local key set) or jwksUri, not both');
  }
  if (options.jwksUri !== undefined) {
    requireSafeUrl(requireText(options.jwksUri, 'jwksUri'), 'jwksUri', allowInsecureHttp, 'INVALID_ARGUMENT');
  }
  const clockToleranceSeconds = options.clockToleranceSeconds ?? DEFAULT_CLOCK_TOLERANCE_SECONDS;
  if (!Number.isFinite(clockToleranceSeconds) || clockToleranceSeconds < 0) {
    throw new AuthError(
      'INVALID_ARGUMENT',
      `clockToleranceSeconds must be a finite number of seconds ≥ 0, got ${String(clockToleranceSeconds)}`,
    );
  }
  const fetchTimeoutMs = options.fetchTimeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS;
  if (!Number.isSafeInteger(fetchTimeoutMs) || fetchTimeoutMs <= 0) {
    throw new AuthError(
      'INVALID_ARGUMENT',
      `fetchTimeoutMs must be a positive whole number, got ${String(fetchTimeoutMs)}`,
    );
  }
  const algorithms = [...(options.allowedAlgorithms ?? DEFAULT_ALLOWED_ALGORITHMS)];
  if (algorithms.length === 0) {
    throw new AuthError('INVALID_ARGUMENT', 'allowedAlgorithms must name at least one algorithm');
  }
  for (const algorithm of algorithms) {
    if (!ASYMMETRIC_ALGORITHMS.has(algorithm)) {
      throw new AuthError(
        'INVALID_ARGUMENT',
        `allowedAlgorithms: ${describe(algorithm)} is not an asymmetric signature algorithm ` +
          `(use ${[...ASYMMETRIC_ALGORITHMS].join(', ')}); "none" is unsigned and with HS* anyone who can ` +
          `verify a token could also mint one`,
      );
    }
  }
  return {
    issuer,
    audience,
    clockToleranceSeconds,
    roleClaim: requireText(options.roleClaim ?? 'roles', 'roleClaim'),
    usernameClaim: requireText(options.usernameClaim ?? 'preferred_username', 'usernameClaim'),
    algorithms,
    rejectDevTokens: options.rejectDevTokens === true,
    allowInsecureHttp,
    fetchTimeoutMs,
  };
}

function requireText(value: unknown, name: string): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new AuthError('INVALID_ARGUMENT', `${name} must be a non-empty string`);
  }
  return value;
}

/**
 * Keys fetched over plain http from another host could be swapped in transit, and whoever swaps them mints
 * tokens; loopback (the development issuer, a provider on the same host) cannot be intercepted that way.
 */
function requireSafeUrl(
  text: string,
  name: string,
  allowInsecureHttp: boolean,
  code: 'INVALID_ARGUMENT' | 'ISSUER_UNREACHABLE',
): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch (cause) {
    throw new AuthError(code, `${name} ${describe(text)} is not an absolute URL`, { cause });
  }
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:' && (allowInsecureHttp || isLoopback(url.hostname))) return url;
  throw new AuthError(
    code,
    url.protocol === 'http:'
      ? `${name} ${describe(text)} uses plain http to a host other than loopback; use https ` +
          `(or allowInsecureHttp inside a closed network)`
      : `${name} ${describe(text)} must be an https URL`,
  );
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname);
}

function keyResolver(options: TokenVerifierOptions, config: VerifierConfig): JWTVerifyGetKey {
  if (options.jwks !== undefined) {
    try {
      return createLocalJWKSet(options.jwks);
    } catch (cause) {
      throw new AuthError('INVALID_ARGUMENT', `jwks is not a JSON Web Key Set: ${reasonOf(cause)}`, {
        cause,
      });
    }
  }
  if (options.jwksUri !== undefined) return remoteKeySet(new URL(options.jwksUri), config);
  let remote: JWTVerifyGetKey | undefined;
  let pending: Promise<JWTVerifyGetKey> | undefined;
  const discovered = async (): Promise<JWTVerifyGetKey> => {
    if (remote) return remote;
    // Concurrent first requests share one discovery; a failed one is forgotten so the next request retries.
    pending ??= discoverJwksUri(config)
      .then((jwksUri) => (remote = remoteKeySet(jwksUri, config)))
      .finally(() => {
        pending = undefined;
      });
    return pending;
  };
  return async (protectedHeader, token) => {
    const keys = await discovered();
    return keys(protectedHeader, token);
  };
}

// What the remote key set throws for a key it cannot pick; anything else comes from fetching the set.
const KEY_SELECTION_ERRORS: ReadonlySet<string> = new Set([
  'ERR_JWKS_NO_MATCHING_KEY',
  'ERR_JWKS_MULTIPLE_MATCHING_KEYS',
  'ERR_JOSE_NOT_SUPPORTED',
  'ERR_JWK_INVALID',
]);

function remoteKeySet(jwksUri: URL, config: VerifierConfig): JWTVerifyGetKey {
  const set = createRemoteJWKSet(jwksUri, { timeoutDuration: config.fetchTimeoutMs });
  return async (protectedHeader, token) => {
    try {
      return await set(protectedHeader, token);
    } catch (cause) {
      if (KEY_SELECTION_ERRORS.has(errorCodeOf(cause) ?? '')) throw cause;
      throw new AuthError(
        'ISSUER_UNREACHABLE',
        `cannot fetch the signing keys of ${config.issuer} from ${jwksUri.href}: ${reasonOf(cause)}`,
        { cause },
      );
    }
  };
}

async function discoverJwksUri(config: VerifierConfig): Promise<URL> {
  // OpenID Connect Discovery 1.0 §4: a terminating slash of the issuer is removed before the well-known path.
  const url = `${config.issuer.replace(/\/+$/, '')}${DISCOVERY_PATH}`;
  const unreachable = (reason: string, cause?: unknown): AuthError =>
    new AuthError(
      'ISSUER_UNREACHABLE',
      `cannot use the OpenID configuration of ${config.issuer} at ${url}: ${reason}`,
      cause === undefined ? undefined : { cause },
    );
  let document: unknown;
  try {
    const response = await fetch(url, {
      headers: { accept: 'application/json' },
      redirect: 'manual',
      signal: AbortSignal.timeout(config.fetchTimeoutMs),
    });
    if (response.status !== 200) {
      await response.body?.cancel();
      throw unreachable(`the server answered HTTP ${response.status} (expected 200); check the issuer URL`);
    }
    document = await response.json();
  } catch (cause) {
    if (cause instanceof AuthError) throw cause;
    throw unreachable(reasonOf(cause), cause);
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw unreachable('the answer is not a JSON object');
  }
  const { issuer, jwks_uri: jwksUri } = document as Record<string, unknown>;
  // Discovery §4.3: a document naming another issuer must not be used, or a provider could vouch for another.
  if (issuer !== config.issuer) {
    throw unreachable(
      `it names the issuer ${describe(issuer)}; configure the issuer exactly as the provider spells it`,
    );
  }
  if (typeof jwksUri !== 'string' || jwksUri === '') throw unreachable('it has no jwks_uri');
  return requireSafeUrl(jwksUri, 'its jwks_uri', config.allowInsecureHttp, 'ISSUER_UNREACHABLE');
}

function translate(error: unknown, token: string, config: VerifierConfig): unknown {
  if (error instanceof AuthError) return error;
  const code = errorCodeOf(error);
  const header = safeHeader(token);
  const tolerance = `clock tolerance ${config.clockToleranceSeconds} s`;
  switch (code) {
    case 'ERR_JWT_EXPIRED': {
      const exp = claimsOf(error).exp;
      return new AuthError(
        'TOKEN_EXPIRED',
        `the token expired at ${dateText(exp)} (${tolerance}); log in again for a fresh token`,
        { cause: error },
      );
    }
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      return claimFailure(error, config, tolerance);
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return new AuthError(
        'TOKEN_ALGORITHM',
        `the token is signed with alg ${describe(header.alg)}; this service accepts ${config.algorithms.join(', ')}`,
        { cause: error },
      );
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return new AuthError(
        'TOKEN_SIGNATURE',
        `the token's signature does not verify under the issuer's key ${describe(header.kid)}: ` +
          `it was altered, or signed by another key`,
        { cause: error },
      );
    case 'ERR_JWKS_NO_MATCHING_KEY':
      return new AuthError(
        'TOKEN_SIGNATURE',
        `${config.issuer} publishes no ${describe(header.alg)} key with kid ${describe(header.kid)}: the ` +
          `token was signed by another issuer's key or a key the issuer has retired`,
        { cause: error },
      );
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
      return new AuthError(
        'TOKEN_SIGNATURE',
        `several keys of ${config.issuer} match the token's header (kid ${describe(header.kid)}); ` +
          `the issuer must name its signing key by kid`,
        { cause: error },
      );
    case 'ERR_JWKS_INVALID':
    case 'ERR_JWK_INVALID':
      return new AuthError(
        'ISSUER_UNREACHABLE',
        `the signing keys of ${config.issuer} are unusable: ${reasonOf(error)}`,
        { cause: error },
      );
    case 'ERR_JWS_INVALID':
    case 'ERR_JWT_INVALID':
    case 'ERR_JOSE_NOT_SUPPORTED':
      return new AuthError('TOKEN_MALFORMED', `the token is not a usable JWT: ${reasonOf(error)}`, {
        cause: error,
      });
    default:
      return error;
  }
}

function claimFailure(error: unknown, config: VerifierConfig, tolerance: string): AuthError {
  const details = error as { claim?: unknown; reason?: unknown };
  const claims = claimsOf(error);
  const claim = typeof details.claim === 'string' ? details.claim : '';
  const missing = details.reason === 'missing';
  if (claim === 'iss') {
    return new AuthError(
      'TOKEN_ISSUER',
      missing
        ? `the token names no issuer; this service accepts tokens of ${config.issuer}`
        : `the token was issued by ${describe(claims.iss)}; this service accepts tokens of ${config.issuer} only`,
      { cause: error },
    );
  }
  if (claim === 'aud') {
    return new AuthError(
      'TOKEN_AUDIENCE',
      `the token is for audience ${describe(claims.aud)}, not ${describe(config.audience)}: request a token ` +
        `for this service (Keycloak: an audience mapper on the client; Entra ID: this API's scope)`,
      { cause: error },
    );
  }
  if (claim === 'nbf' && details.reason === 'check_failed') {
    return new AuthError(
      'TOKEN_NOT_YET_VALID',
      `the token is not valid before ${dateText(claims.nbf)} (${tolerance}); check this machine's clock`,
      { cause: error },
    );
  }
  return new AuthError(
    'TOKEN_MALFORMED',
    `the token's "${claim}" claim is ${missing ? 'missing' : 'not valid'}`,
    { cause: error },
  );
}

function claimsOf(error: unknown): Record<string, unknown> {
  const payload = (error as { payload?: unknown }).payload;
  return typeof payload === 'object' && payload !== null ? (payload as Record<string, unknown>) : {};
}

function safeHeader(token: string): { alg?: unknown; kid?: unknown } {
  try {
    return decodeProtectedHeader(token);
  } catch {
    return {};
  }
}

function dateText(seconds: unknown): string {
  return typeof seconds === 'number' && Number.isFinite(seconds)
    ? new Date(seconds * 1000).toISOString()
    : describe(seconds);
}

// A built-in token issuer for the demo and tests, so Cohort runs end to end without a Keycloak or Entra ID
// tenant. It mints whatever it is asked to, for anyone: its tokens carry `cohort_dev: true`, and production
// verifiers are configured with `rejectDevTokens` and never trust its key set.
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomUUID,
  type KeyObject,
} from 'node:crypto';
import { join } from 'node:path';
import { calculateJwkThumbprint, SignJWT, type JSONWebKeySet, type JWK } from 'jose';
import { AuthError } from './auth-error.js';
import { DEV_TOKEN_CLAIM, describe } from './claims.js';
import { messageOf } from './error-details.js';
import { createPrivateFile, readPrivateFile } from './private-file.js';

/** The one file a persisted DevIssuer keeps in its folder: its private key, PKCS#8 PEM, mode 0600. */
export const DEV_ISSUER_KEY_FILE = 'dev-issuer.key';
export const DEFAULT_DEV_ISSUER_URL = 'http://127.0.0.1:8080/dev-issuer';
/** A working day, so a demo or a day of development needs one login. */
export const DEFAULT_DEV_TOKEN_TTL_SECONDS = 8 * 60 * 60;

export type DevSigningAlgorithm = 'EdDSA' | 'ES256';

export interface DevIssuerOptions {
  /** The `iss` of minted tokens and the base of the discovery document; default DEFAULT_DEV_ISSUER_URL. */
  issuer?: string;
  /**
   * Folder of the persisted key (created 0700, key file 0600), so tokens survive a restart. Without it the
   * key lives in memory only: a fresh key, and so a different key, per instance.
   */
  keyDir?: string;
  /** The algorithm of a newly created key; default EdDSA. A loaded key keeps its own. */
  algorithm?: DevSigningAlgorithm;
  /** Where minted tokens carry their roles, as the verifier's roleClaim; default "roles". */
  roleClaim?: string;
  /** Overrides the key id (default: the key's RFC 7638 thumbprint), e.g. for another key under the same kid. */
  kid?: string;
}

export interface MintRequest {
  subject: string;
  /** Carried as `preferred_username` and `name`. */
  name?: string;
  /** Role strings as an identity provider would send them; unknown ones are kept (verifiers ignore them). */
  roles: readonly string[];
  audience: string | readonly string[];
  /** Lifetime from now; default 8 hours. Not together with `expiresAt`. */
  ttlSeconds?: number;
  /** An exact expiry, which may lie in the past to mint an expired token. */
  expiresAt?: Date;
  notBefore?: Date;
  /** Default now. */
  issuedAt?: Date;
  /** Further claims; the registered ones, the roles and the development marker are not overridden. */
  claims?: Record<string, unknown>;
}

/** The subset of OpenID Provider Metadata a token verifier needs. */
export interface OpenIdConfiguration {
  issuer: string;
  jwks_uri: string;
  response_types_supported: string[];
  subject_types_supported: string[];
  id_token_signing_alg_values_supported: string[];
}

export class DevIssuer {
  private constructor(
    readonly issuer: string,
    readonly kid: string,
    readonly algorithm: DevSigningAlgorithm,
    private readonly privateKey: KeyObject,
    private readonly publicJwk: JWK,
    private readonly roleClaim: string,
  ) {}

  /**
   * A development issuer. With `keyDir`, its key is loaded from `keyDir/dev-issuer.key` or created there on
   * first use (refused with FILE_INSECURE when group or others may access it); without, a fresh in-memory key.
   */
  static async create(options: DevIssuerOptions = {}): Promise<DevIssuer> {
    const issuer = options.issuer ?? DEFAULT_DEV_ISSUER_URL;
    let url: URL | undefined;
    try {
      url = new URL(issuer);
    } catch {
      url = undefined;
    }
    if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      throw new AuthError(
        'INVALID_ARGUMENT',
        `the development issuer ${describe(issuer)} is not an http(s) URL`,
      );
    }
    const roleClaim = options.roleClaim ?? 'roles';
    if (
      typeof roleClaim !== 'string' ||
      roleClaim === '' ||
      roleClaim.split('.').some((part) => part === '')
    ) {
      throw new AuthError(
        'INVALID_ARGUMENT',
        `roleClaim ${describe(roleClaim)} is not a claim name or dotted path`,
      );
    }
    if (options.algorithm !== undefined && options.algorithm !== 'EdDSA' && options.algorithm !== 'ES256') {
      throw new AuthError(
        'INVALID_ARGUMENT',
        `the development issuer signs with EdDSA or ES256, not ${describe(options.algorithm)}`,
      );
    }
    if (options.kid !== undefined && (typeof options.kid !== 'string' || options.kid === '')) {
      throw new AuthError('INVALID_ARGUMENT', 'kid must be a non-empty string');
    }
    const privateKey =
      options.keyDir === undefined
        ? generateKey(options.algorithm ?? 'EdDSA')
        : await loadOrCreateKey(options.keyDir, options.algorithm);
    const algorithm = algorithmOf(privateKey, 'the signing key');
    if (options.algorithm !== undefined && options.algorithm !== algorithm) {
      throw new AuthError(
        'DEV_KEY_INVALID',
        `the development issuer key in ${options.keyDir ?? '(memory)'} is an ${algorithm} key, not ${options.algorithm}; ` +
          `delete ${DEV_ISSUER_KEY_FILE} there to create a new one (tokens minted before stop verifying)`,
      );
    }
    const exported = createPublicKey(privateKey).export({ format: 'jwk' });
    const publicJwk: JWK = { ...exported };
    const kid = options.kid ?? (await calculateJwkThumbprint(publicJwk, 'sha256'));
    return new DevIssuer(
      issuer,
      kid,
      algorithm,
      privateKey,
      { ...publicJwk, kid, alg: algorithm, use: 'sig' },
      roleClaim,
    );
  }

  /** Where a server publishes `jwks()`: `<issuer>/jwks.json`. */
  get jwksUri(): string {
    return `${baseOf(this.issuer)}/jwks.json`;
  }

  /** Where a server publishes `openIdConfiguration()`: `<issuer>/.well-known/openid-configuration`. */
  get discoveryUrl(): string {
    return `${baseOf(this.issuer)}/.well-known/openid-configuration`;
  }

  /** The public key set: one key, with its kid, alg and use. */
  jwks(): JSONWebKeySet {
    return { keys: [{ ...this.publicJwk }] };
  }

  /**
   * The discovery document. There is no authorization endpoint: tokens come from `mint` (the demo, `cohort
   * login --dev`), so this document serves token verifiers, not OpenID Connect clients.
   */
  openIdConfiguration(): OpenIdConfiguration {
    return {
      issuer: this.issuer,
      jwks_uri: this.jwksUri,
      response_types_supported: ['id_token'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: [this.algorithm],
    };
  }

  /** A compact JWT signed with this issuer's key. */
  async mint(request: MintRequest): Promise<string> {
    const { subject, name, roles, audience } = request;
    if (typeof subject !== 'string' || subject.trim() === '') {
      throw new AuthError('INVALID_ARGUMENT', 'a development token needs a non-empty subject');
    }
    // Checked as unknown: callers in JavaScript or from parsed JSON need not honour the types.
    const roleValues: unknown = roles;
    if (!Array.isArray(roleValues) || roleValues.some((role) => typeof role !== 'string')) {
      throw new AuthError('INVALID_ARGUMENT', 'roles must be an array of strings');
    }
    const audiences: readonly unknown[] =
      typeof audience === 'string' ? [audience] : Array.isArray(audience) ? audience : [];
    if (audiences.length === 0 || audiences.some((item) => typeof item !== 'string' || item === '')) {
      throw new AuthError(
        'INVALID_ARGUMENT',
        'a development token needs an audience: one or more non-empty strings',
      );
    }
    if (request.ttlSeconds !== undefined && request.expiresAt !== undefined) {
      throw new AuthError('INVALID_ARGUMENT', 'give ttlSeconds or expiresAt, not both');
    }
    const issuedAt = secondsOf(request.issuedAt ?? new Date(), 'issuedAt');
    let expiresAt: number;
    if (request.expiresAt !== undefined) {
      expiresAt = secondsOf(request.expiresAt, 'expiresAt');
    } else {
      const ttl = request.ttlSeconds ?? DEFAULT_DEV_TOKEN_TTL_SECONDS;
      if (!Number.isSafeInteger(ttl) || ttl <= 0) {
        throw new AuthError(
          'INVALID_ARGUMENT',
          `ttlSeconds must be a positive whole number, got ${String(ttl)}`,
        );
      }
      expiresAt = secondsOf(new Date(), 'now') + ttl;
    }
    const claims: Record<string, unknown> = { ...(request.claims ?? {}) };
    placeAt(claims, this.roleClaim, roles.slice());
    if (name !== undefined) {
      claims.preferred_username = name;
      claims.name = name;
    }
    claims[DEV_TOKEN_CLAIM] = true;
    const jwt = new SignJWT(claims)
      .setProtectedHeader({ alg: this.algorithm, kid: this.kid, typ: 'JWT' })
      .setIssuer(this.issuer)
      .setSubject(subject)
      .setAudience(typeof audience === 'string' ? audience : [...audience])
      .setIssuedAt(issuedAt)
      .setExpirationTime(expiresAt)
      .setJti(randomUUID());
    if (request.notBefore !== undefined) jwt.setNotBefore(secondsOf(request.notBefore, 'notBefore'));
    return jwt.sign(this.privateKey);
  }
}

function baseOf(issuer: string): string {
  return issuer.replace(/\/+$/, '');
}

function secondsOf(date: Date, name: string): number {
  if (!(date instanceof Date) || !Number.isFinite(date.getTime())) {
    throw new AuthError('INVALID_ARGUMENT', `${name} must be a valid Date`);
  }
  return Math.floor(date.getTime() / 1000);
}

/** Sets `value` at a dotted path, creating the objects on the way ("realm_access.roles" as Keycloak nests it). */
function placeAt(claims: Record<string, unknown>, path: string, value: unknown): void {
  const segments = path.split('.');
  const last = segments.pop() as string;
  let target = claims;
  for (const segment of segments) {
    const next = target[segment];
    const child: Record<string, unknown> =
      typeof next === 'object' && next !== null && !Array.isArray(next)
        ? { ...(next as Record<string, unknown>) }
        : {};
    target[segment] = child;
    target = child;
  }
  target[last] = value;
}

function generateKey(algorithm: DevSigningAlgorithm): KeyObject {
  return algorithm === 'ES256'
    ? generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey
    : generateKeyPairSync('ed25519').privateKey;
}

function algorithmOf(privateKey: KeyObject, where: string): DevSigningAlgorithm {
  if (privateKey.type === 'private' && privateKey.asymmetricKeyType === 'ed25519') return 'EdDSA';
  if (
    privateKey.type === 'private' &&
    privateKey.asymmetricKeyType === 'ec' &&
    privateKey.asymmetricKeyDetails?.namedCurve === 'prime256v1'
  ) {
    return 'ES256';
  }
  throw new AuthError(
    'DEV_KEY_INVALID',
    `${where} is a ${privateKey.type} ${privateKey.asymmetricKeyType ?? 'symmetric'} key, not an Ed25519 or P-256 private key`,
  );
}

async function loadOrCreateKey(dir: string, algorithm: DevSigningAlgorithm | undefined): Promise<KeyObject> {
  const file = join(dir, DEV_ISSUER_KEY_FILE);
  const fix = `Restrict it to its owner with: chmod 600 ${file}`;
  let pem = await readPrivateFile(file, 'development issuer key', fix);
  if (pem === undefined) {
    const created = generateKey(algorithm ?? 'EdDSA')
      .export({ type: 'pkcs8', format: 'pem' })
      .toString();
    // When another process created the key first, its key is the one used, so both mint verifiable tokens.
    await createPrivateFile(file, created, 'development issuer key');
    pem = await readPrivateFile(file, 'development issuer key', fix);
    if (pem === undefined) {
      throw new AuthError('FILE_IO', `development issuer key ${file} vanished right after it was created`);
    }
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: pem, format: 'pem' });
  } catch (cause) {
    throw new AuthError(
      'DEV_KEY_INVALID',
      `development issuer key ${file} is not a PEM private key: ${messageOf(cause)}`,
      {
        cause,
      },
    );
  }
  algorithmOf(privateKey, `development issuer key ${file}`);
  return privateKey;
}

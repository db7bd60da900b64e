import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SignJWT, importPKCS8, type CryptoKey, type JSONWebKeySet, type JWK } from 'jose';
import { COHORT_EAT_PROFILE, COHORT_EAT_TYP, COHORT_KEY_SUFFIX, type CohortEatClaims } from './claims.js';
import { DBGSTAT } from './dbgstat.js';
import { AttestationError } from './errors.js';
import { hasPrivateMaterial, thumbprint } from './keys.js';

export const INSECURE_DEV_ISSUER = 'cohort-insecure-dev-authority';

/** For callers to log whenever the development authority issues or is trusted: libraries do not log. */
export const INSECURE_DEV_WARNING =
  'INSECURE: attestation by the cohort insecure-dev authority. No hardware vouches for the measured code; ' +
  'its tokens say debug enabled (dbgstat 0) and cohort_insecure_dev: true. For development and demos only — ' +
  'never for real patient data.';

/** What the enclave (or a silo agent) presents to be attested. */
export interface AttestationEvidence {
  /** Lower-case hex SHA-256 from `measureBundle`. */
  measurement: string;
  /** What was measured, e.g. 'cohort-enclave'. */
  component: string;
  /** The relying party's challenge, 8 to 64 bytes. */
  nonce: Uint8Array;
  /** The attested party's main public key (the enclave's HPKE X25519 key), bound as `cnf.jkt`. */
  boundKey: JWK;
  /** Further public keys to bind, by name (e.g. `{ signing: ed25519Jwk(...) }` → `cohort_keys.signing_jkt`). */
  extraKeys?: Record<string, JWK>;
}

const KEY_FILE = 'authority.key';
const JWKS_FILE = 'jwks.json';
const MAX_TTL_SECONDS = 24 * 3600;

/**
 * A local attestation authority for development and the demo. It signs whatever evidence it is given —
 * there is no hardware to check it against — so its tokens are marked insecure twice: `dbgstat` 0 (debug
 * enabled, refused by any production debug policy) and `cohort_insecure_dev: true`.
 */
export class InsecureDevAuthority {
  readonly insecure = true;
  readonly issuer: string;
  private readonly signingKey: CryptoKey;
  private readonly publicJwk: JWK;

  private constructor(issuer: string, signingKey: CryptoKey, publicJwk: JWK) {
    this.issuer = issuer;
    this.signingKey = signingKey;
    this.publicJwk = publicJwk;
  }

  /**
   * Loads the Ed25519 signing key from `dir/authority.key` (PKCS#8 PEM, mode 0600), creating it on first use,
   * and (re)writes the public `dir/jwks.json` that verifiers pin.
   */
  static async loadOrCreate(dir: string, issuer = INSECURE_DEV_ISSUER): Promise<InsecureDevAuthority> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const keyPath = join(dir, KEY_FILE);
    const privateKey = await readOrCreateKey(keyPath);
    const authority = await InsecureDevAuthority.fromKey(privateKey, issuer);
    await writeJwks(join(dir, JWKS_FILE), authority.jwks());
    return authority;
  }

  /** An authority whose key lives only in memory: for tests. */
  static async ephemeral(issuer = INSECURE_DEV_ISSUER): Promise<InsecureDevAuthority> {
    return InsecureDevAuthority.fromKey(generateKeyPairSync('ed25519').privateKey, issuer);
  }

  private static async fromKey(privateKey: KeyObject, issuer: string): Promise<InsecureDevAuthority> {
    const signingKey = await importPKCS8(
      privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      'EdDSA',
    );
    const exported = createPublicKey(privateKey).export({ format: 'jwk' });
    const base: JWK = { kty: 'OKP', crv: 'Ed25519', x: exported.x };
    const publicJwk: JWK = { ...base, kid: await thumbprint(base), alg: 'EdDSA', use: 'sig' };
    return new InsecureDevAuthority(issuer, signingKey, publicJwk);
  }

  /** The public key set verifiers pin (`insecureDevVerifier(authority.jwks())`). */
  jwks(): JSONWebKeySet {
    return { keys: [{ ...this.publicJwk }] };
  }

  /** Signs an EAT for `evidence`, valid for `audience` during `ttlSeconds`. */
  async issue(evidence: AttestationEvidence, audience: string, ttlSeconds = 300): Promise<string> {
    checkEvidence(evidence);
    if (!audience) throw invalid('an attestation token needs an audience');
    if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0 || ttlSeconds > MAX_TTL_SECONDS) {
      throw invalid(`ttlSeconds must be a whole number of seconds between 1 and ${MAX_TTL_SECONDS}`);
    }
    const cohortKeys: Record<string, string> = {};
    for (const [name, jwk] of Object.entries(evidence.extraKeys ?? {})) {
      cohortKeys[`${name}${COHORT_KEY_SUFFIX}`] = await thumbprint(jwk);
    }
    const now = Math.floor(Date.now() / 1000);
    const claims: CohortEatClaims = {
      iss: this.issuer,
      aud: audience,
      iat: now,
      exp: now + ttlSeconds,
      jti: randomBytes(16).toString('base64url'),
      eat_nonce: Buffer.from(evidence.nonce).toString('base64url'),
      eat_profile: COHORT_EAT_PROFILE,
      measurements: [{ alg: 'sha-256', digest: evidence.measurement, component: evidence.component }],
      dbgstat: DBGSTAT.enabled,
      cnf: { jkt: await thumbprint(evidence.boundKey) },
      ...(Object.keys(cohortKeys).length > 0 ? { cohort_keys: cohortKeys } : {}),
      cohort_insecure_dev: true,
    };
    return new SignJWT({ ...claims })
      .setProtectedHeader({ alg: 'EdDSA', typ: COHORT_EAT_TYP, kid: this.publicJwk.kid })
      .sign(this.signingKey);
  }
}

function checkEvidence(evidence: AttestationEvidence): void {
  if (!/^[0-9a-f]{64}$/.test(evidence.measurement)) {
    throw invalid('evidence.measurement must be a lower-case hex SHA-256 (from measureBundle)');
  }
  if (!evidence.component) throw invalid('evidence.component must name what was measured');
  // RFC 9711 nonces are 8 to 64 bytes; fewer would make a replayed token guessable.
  if (!(evidence.nonce instanceof Uint8Array) || evidence.nonce.length < 8 || evidence.nonce.length > 64) {
    throw invalid('evidence.nonce must be 8 to 64 bytes');
  }
  for (const [name, jwk] of [
    ['boundKey', evidence.boundKey],
    ...Object.entries(evidence.extraKeys ?? {}),
  ] as const) {
    if (hasPrivateMaterial(jwk))
      throw invalid(`evidence ${name} carries private key material; send the public key`);
  }
  for (const name of Object.keys(evidence.extraKeys ?? {})) {
    if (!/^[a-z][a-z0-9-]*$/.test(name))
      throw invalid(`extra key name ${name} must be lower-case letters, digits and -`);
  }
}

async function readOrCreateKey(keyPath: string): Promise<KeyObject> {
  const pem = await readFile(keyPath, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw new AttestationError('ATTESTATION_AUTHORITY_KEY_INVALID', `cannot read ${keyPath}`, {
      cause: error,
    });
  });
  if (pem !== undefined) return parseKey(pem, keyPath);
  const created = generateKeyPairSync('ed25519').privateKey;
  const text = created.export({ type: 'pkcs8', format: 'pem' }).toString();
  try {
    // 'wx': if another process created the key meanwhile, keep theirs rather than overwrite it.
    await writeFile(keyPath, text, { mode: 0o600, flag: 'wx' });
    await chmod(keyPath, 0o600); // the umask may have narrowed the mode, never widened it; be explicit anyway
    return created;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST')
      return parseKey(await readFile(keyPath, 'utf8'), keyPath);
    throw new AttestationError('ATTESTATION_AUTHORITY_KEY_INVALID', `cannot write ${keyPath}`, {
      cause: error,
    });
  }
}

function parseKey(pem: string, keyPath: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (error) {
    throw new AttestationError('ATTESTATION_AUTHORITY_KEY_INVALID', `${keyPath} is not a PEM private key`, {
      cause: error,
    });
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new AttestationError(
      'ATTESTATION_AUTHORITY_KEY_INVALID',
      `${keyPath} holds a ${key.asymmetricKeyType ?? 'unknown'} key; the authority signs with Ed25519`,
    );
  }
  return key;
}

// Written through a temporary file so a verifier never reads half a key set.
async function writeJwks(path: string, jwks: JSONWebKeySet): Promise<void> {
  const text = `${JSON.stringify(jwks, null, 2)}\n`;
  const current = await readFile(path, 'utf8').catch(() => undefined);
  if (current === text) return;
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temporary, text, { mode: 0o644 });
  await rename(temporary, path);
}

function invalid(message: string): AttestationError {
  return new AttestationError('ATTESTATION_EVIDENCE_INVALID', message);
}

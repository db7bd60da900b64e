import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { calculateJwkThumbprint, decodeJwt, decodeProtectedHeader } from 'jose';
import { AuthError, type AuthErrorCode } from './auth-error.js';
import { DEFAULT_DEV_TOKEN_TTL_SECONDS, DEV_ISSUER_KEY_FILE, DevIssuer } from './dev-issuer.js';
import { createTokenVerifier } from './token-verifier.js';

const posix = process.platform !== 'win32';
const ISSUER = 'http://127.0.0.1:8080/dev-issuer';

async function codeOf(promise: Promise<unknown>): Promise<AuthErrorCode | undefined> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AuthError) return error.code;
    throw error;
  }
  return undefined;
}

describe('DevIssuer key persistence', () => {
  let root: string;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'cohort-auth-'));
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('creates the folder 0700 and only the key file, mode 0600, holding a PKCS#8 Ed25519 key', async () => {
    const dir = join(root, 'gateway', 'dev-issuer');
    const issuer = await DevIssuer.create({ issuer: ISSUER, keyDir: dir });

    expect(await readdir(dir)).toEqual([DEV_ISSUER_KEY_FILE]);
    if (posix) {
      expect((await stat(dir)).mode & 0o777).toBe(0o700);
      expect((await stat(join(dir, DEV_ISSUER_KEY_FILE))).mode & 0o777).toBe(0o600);
    }
    expect(await readFile(join(dir, DEV_ISSUER_KEY_FILE), 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(issuer.algorithm).toBe('EdDSA');
  });

  it('reloads the same key: same kid, and tokens minted before a restart still verify', async () => {
    const first = await DevIssuer.create({ issuer: ISSUER, keyDir: root });
    const token = await first.mint({ subject: 'alice', roles: ['researcher'], audience: 'gw' });

    const second = await DevIssuer.create({ issuer: ISSUER, keyDir: root });
    const verifier = createTokenVerifier({ issuer: ISSUER, audience: 'gw', jwks: second.jwks() });

    expect(second.kid).toBe(first.kid);
    expect(second.jwks()).toEqual(first.jwks());
    expect((await verifier.verify(token)).subject).toBe('alice');
  });

  it('gives in-memory issuers a fresh key each', async () => {
    const a = await DevIssuer.create({ issuer: ISSUER });
    const b = await DevIssuer.create({ issuer: ISSUER });

    expect(a.kid).not.toBe(b.kid);
  });

  it('gives concurrent first starts one and the same key', async () => {
    const issuers = await Promise.all(
      Array.from({ length: 6 }, () => DevIssuer.create({ issuer: ISSUER, keyDir: root })),
    );

    expect(new Set(issuers.map((issuer) => issuer.kid)).size).toBe(1);
    expect(await readdir(root)).toEqual([DEV_ISSUER_KEY_FILE]);
  });

  (posix ? it : it.skip)('writes mode 0600 whatever the umask', async () => {
    const previous = process.umask(0);
    try {
      await DevIssuer.create({ keyDir: root });
    } finally {
      process.umask(previous);
    }

    expect((await stat(join(root, DEV_ISSUER_KEY_FILE))).mode & 0o777).toBe(0o600);
  });

  (posix ? it : it.skip)(
    'refuses a key file others may read (FILE_INSECURE), saying how to fix it',
    async () => {
      await DevIssuer.create({ keyDir: root });
      const file = join(root, DEV_ISSUER_KEY_FILE);
      await chmod(file, 0o644);

      let error: unknown;
      try {
        await DevIssuer.create({ keyDir: root });
      } catch (caught) {
        error = caught;
      }

      expect(error).toBeInstanceOf(AuthError);
      expect((error as AuthError).code).toBe('FILE_INSECURE');
      expect((error as AuthError).message).toContain(`chmod 600 ${file}`);
      await chmod(file, 0o400);
      expect(await codeOf(DevIssuer.create({ keyDir: root }))).toBeUndefined();
    },
  );

  it('refuses a key file that holds no key (DEV_KEY_INVALID)', async () => {
    await writeFile(join(root, DEV_ISSUER_KEY_FILE), 'not a key\n', { mode: 0o600 });

    expect(await codeOf(DevIssuer.create({ keyDir: root }))).toBe('DEV_KEY_INVALID');
  });

  it('keeps an ES256 key as ES256, and refuses to treat it as another algorithm', async () => {
    const created = await DevIssuer.create({ keyDir: root, algorithm: 'ES256' });
    const reloaded = await DevIssuer.create({ keyDir: root });

    expect(reloaded.algorithm).toBe('ES256');
    expect(reloaded.kid).toBe(created.kid);
    expect(await codeOf(DevIssuer.create({ keyDir: root, algorithm: 'EdDSA' }))).toBe('DEV_KEY_INVALID');
  });
});

describe('DevIssuer documents', () => {
  it('publishes only the public key, named by its RFC 7638 thumbprint', async () => {
    const issuer = await DevIssuer.create({ issuer: ISSUER });
    const [key] = issuer.jwks().keys;

    expect(issuer.jwks().keys).toHaveLength(1);
    expect(key).toMatchObject({ kty: 'OKP', crv: 'Ed25519', kid: issuer.kid, alg: 'EdDSA', use: 'sig' });
    expect(key).not.toHaveProperty('d');
    expect(issuer.kid).toBe(await calculateJwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x: key.x }, 'sha256'));
  });

  it('describes itself as an OpenID provider at <issuer>/.well-known/openid-configuration', async () => {
    const issuer = await DevIssuer.create({ issuer: `${ISSUER}/`, algorithm: 'ES256' });

    expect(issuer.discoveryUrl).toBe(`${ISSUER}/.well-known/openid-configuration`);
    expect(issuer.openIdConfiguration()).toEqual({
      issuer: `${ISSUER}/`,
      jwks_uri: `${ISSUER}/jwks.json`,
      response_types_supported: ['id_token'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['ES256'],
    });
  });
});

describe('DevIssuer.mint', () => {
  let issuer: DevIssuer;

  beforeAll(async () => {
    issuer = await DevIssuer.create({ issuer: ISSUER });
  });

  it('mints an 8-hour development token with the registered claims, roles and name', async () => {
    const before = Math.floor(Date.now() / 1000);
    const token = await issuer.mint({ subject: 'u-1', name: 'alice', roles: ['researcher'], audience: 'gw' });
    const claims = decodeJwt(token);

    expect(decodeProtectedHeader(token)).toEqual({ alg: 'EdDSA', kid: issuer.kid, typ: 'JWT' });
    expect(claims).toMatchObject({
      iss: ISSUER,
      sub: 'u-1',
      aud: 'gw',
      roles: ['researcher'],
      preferred_username: 'alice',
      name: 'alice',
      cohort_dev: true,
    });
    expect(claims.jti).toEqual(expect.any(String));
    expect(claims.iat).toBeGreaterThanOrEqual(before);
    expect(claims.exp! - claims.iat!).toBe(DEFAULT_DEV_TOKEN_TTL_SECONDS);
  });

  it('nests roles at a dotted role claim, as Keycloak does', async () => {
    const keycloakLike = await DevIssuer.create({ issuer: ISSUER, roleClaim: 'realm_access.roles' });
    const token = await keycloakLike.mint({
      subject: 'u-1',
      roles: ['admin'],
      audience: 'gw',
      claims: { realm_access: { other: 1 } },
    });

    expect(decodeJwt(token).realm_access).toEqual({ other: 1, roles: ['admin'] });
  });

  it('does not let extra claims override the issuer, subject or development marker', async () => {
    const token = await issuer.mint({
      subject: 'u-1',
      roles: ['researcher'],
      audience: 'gw',
      claims: { iss: 'https://idp.example', sub: 'root', cohort_dev: false, roles: ['admin'], ward: 7 },
    });

    expect(decodeJwt(token)).toMatchObject({
      iss: ISSUER,
      sub: 'u-1',
      cohort_dev: true,
      roles: ['researcher'],
      ward: 7,
    });
  });

  it('mints a token with an exact, past expiry and a not-before', async () => {
    const expiresAt = new Date('2020-01-01T00:00:00Z');
    const notBefore = new Date('2019-12-31T00:00:00Z');
    const claims = decodeJwt(
      await issuer.mint({ subject: 'u-1', roles: [], audience: 'gw', expiresAt, notBefore }),
    );

    expect(claims.exp).toBe(expiresAt.getTime() / 1000);
    expect(claims.nbf).toBe(notBefore.getTime() / 1000);
  });

  it.each<[string, Record<string, unknown>]>([
    ['an empty subject', { subject: ' ' }],
    ['no audience', { audience: [] }],
    ['a zero lifetime', { ttlSeconds: 0 }],
    ['a fractional lifetime', { ttlSeconds: 1.5 }],
    ['both lifetime and expiry', { ttlSeconds: 60, expiresAt: new Date() }],
    ['an invalid date', { expiresAt: new Date(Number.NaN) }],
    ['roles that are not strings', { roles: [1] }],
  ])('INVALID_ARGUMENT for %s', async (_label, change) => {
    const request = { subject: 'u-1', roles: ['researcher'], audience: 'gw', ...change };

    expect(await codeOf(issuer.mint(request as never))).toBe('INVALID_ARGUMENT');
  });

  it('INVALID_ARGUMENT for an issuer that is not an http(s) URL', async () => {
    expect(await codeOf(DevIssuer.create({ issuer: 'ftp://idp' }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(DevIssuer.create({ issuer: 'dev-issuer' }))).toBe('INVALID_ARGUMENT');
  });
});

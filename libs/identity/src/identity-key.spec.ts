import { generateKeyPairSync } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { IdentityError } from './identity-error.js';
import {
  fingerprintOf,
  fingerprintOfPublicKey,
  IDENTITY_KEY_FILE,
  identityFromPrivateKey,
  loadOrCreateIdentityKey,
  publicKeyFromRaw,
} from './identity-key.js';
import {
  RFC8037_FINGERPRINT,
  RFC8037_PRIVATE_JWK,
  RFC8037_THUMBPRINT,
  rfc8037Identity,
} from './testing/rfc8037.js';

const posix = process.platform !== 'win32';
const rfcRaw = Buffer.from(RFC8037_PRIVATE_JWK.x, 'base64url');

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof IdentityError) return error.code;
    throw error;
  }
  return undefined;
}

describe('loadOrCreateIdentityKey', () => {
  let root: string;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'cohort-identity-'));
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('creates the folder 0700 and only identity.key, mode 0600, holding a PKCS#8 Ed25519 key', async () => {
    const dir = join(root, 'silo', 'keys');
    const identity = await loadOrCreateIdentityKey(dir);

    expect(await readdir(dir)).toEqual([IDENTITY_KEY_FILE]);
    if (posix) {
      expect((await stat(dir)).mode & 0o777).toBe(0o700);
      expect((await stat(join(dir, IDENTITY_KEY_FILE))).mode & 0o777).toBe(0o600);
    }
    const pem = await readFile(join(dir, IDENTITY_KEY_FILE), 'utf8');
    expect(pem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(identity.privateKey.asymmetricKeyType).toBe('ed25519');
    expect(identity.publicKeyRaw).toHaveLength(32);
    expect(identity.fingerprint).toMatch(/^[0-9a-f]{64}$/);
  });

  it('reloads the same key on the next start', async () => {
    const first = await loadOrCreateIdentityKey(root);
    const second = await loadOrCreateIdentityKey(root);

    expect(second.fingerprint).toBe(first.fingerprint);
    expect(second.publicKeyRaw.equals(first.publicKeyRaw)).toBe(true);
    expect(second.privateKey.equals(first.privateKey)).toBe(true);
  });

  it('gives concurrent first starts one and the same key', async () => {
    const identities = await Promise.all(Array.from({ length: 8 }, () => loadOrCreateIdentityKey(root)));

    expect(new Set(identities.map((i) => i.fingerprint)).size).toBe(1);
    expect(await readdir(root)).toEqual([IDENTITY_KEY_FILE]);
  });

  (posix ? it : it.skip)('writes mode 0600 whatever the umask', async () => {
    const previous = process.umask(0);
    try {
      await loadOrCreateIdentityKey(join(root, 'open'));
    } finally {
      process.umask(previous);
    }
    expect((await stat(join(root, 'open'))).mode & 0o777).toBe(0o700);
    expect((await stat(join(root, 'open', IDENTITY_KEY_FILE))).mode & 0o777).toBe(0o600);
  });

  it('loads an existing key and derives the fingerprint of RFC 8037 A.2', async () => {
    const pem = rfc8037Identity().privateKey.export({ type: 'pkcs8', format: 'pem' });
    await writeFile(join(root, IDENTITY_KEY_FILE), pem, { mode: 0o600 });

    const identity = await loadOrCreateIdentityKey(root);

    expect(identity.fingerprint).toBe(RFC8037_FINGERPRINT);
    expect(identity.publicKeyRaw.equals(rfcRaw)).toBe(true);
  });

  (posix ? it : it.skip).each(['0644', '0640', '0604', '0660', '0606', '0610'])(
    'refuses a key file of mode %s and says how to fix it',
    async (octal) => {
      const mode = parseInt(octal, 8);
      await loadOrCreateIdentityKey(root);
      const file = join(root, IDENTITY_KEY_FILE);
      await chmod(file, mode);

      const error = await loadOrCreateIdentityKey(root).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(IdentityError);
      expect((error as IdentityError).code).toBe('IDENTITY_KEY_INSECURE');
      expect((error as IdentityError).message).toContain(file);
      expect((error as IdentityError).message).toContain(`mode ${octal}`);
      expect((error as IdentityError).message).toContain(`chmod 600 ${file}`);
    },
  );

  (posix ? it : it.skip)('accepts an owner-only read-only key file (0400)', async () => {
    const first = await loadOrCreateIdentityKey(root);
    await chmod(join(root, IDENTITY_KEY_FILE), 0o400);

    expect((await loadOrCreateIdentityKey(root)).fingerprint).toBe(first.fingerprint);
  });

  it('refuses a key file that is not an Ed25519 private key', async () => {
    const file = join(root, IDENTITY_KEY_FILE);
    await writeFile(file, 'not a key\n', { mode: 0o600 });
    expect(await codeOf(loadOrCreateIdentityKey(root))).toBe('IDENTITY_KEY_INVALID');

    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey;
    await writeFile(file, rsa.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    expect(await codeOf(loadOrCreateIdentityKey(root))).toBe('IDENTITY_KEY_INVALID');
  });

  it('refuses a folder where the key file should be', async () => {
    await mkdir(join(root, IDENTITY_KEY_FILE), { mode: 0o700 });
    expect(await codeOf(loadOrCreateIdentityKey(root))).toBe('IDENTITY_KEY_INVALID');
  });

  (posix ? it : it.skip)('reports a folder it cannot create as IDENTITY_KEY_IO', async () => {
    const file = join(root, 'a-file');
    await writeFile(file, '');
    expect(await codeOf(loadOrCreateIdentityKey(join(file, 'keys')))).toBe('IDENTITY_KEY_IO');
  });
});

describe('publicKeyFromRaw and fingerprints', () => {
  it('rebuilds the RFC 8037 A.2 public key (its RFC 7638 thumbprint is the one in A.3)', async () => {
    const key = publicKeyFromRaw(rfcRaw);

    expect(await calculateJwkThumbprint(key.export({ format: 'jwk' }) as JWK)).toBe(RFC8037_THUMBPRINT);
    expect(fingerprintOf(rfcRaw)).toBe(RFC8037_FINGERPRINT);
    expect(fingerprintOfPublicKey(key)).toBe(RFC8037_FINGERPRINT);
  });

  it.each([0, 31, 33, 64])('refuses %d raw bytes', (length) => {
    expect(() => publicKeyFromRaw(new Uint8Array(length))).toThrow(
      expect.objectContaining({ code: 'IDENTITY_KEY_INVALID' }),
    );
    expect(() => fingerprintOf(new Uint8Array(length))).toThrow(
      expect.objectContaining({ code: 'IDENTITY_KEY_INVALID' }),
    );
  });

  it('refuses keys that are not Ed25519', () => {
    const x25519 = generateKeyPairSync('x25519');
    expect(() => fingerprintOfPublicKey(x25519.publicKey)).toThrow(
      expect.objectContaining({ code: 'IDENTITY_KEY_INVALID' }),
    );
    expect(() => identityFromPrivateKey(x25519.privateKey)).toThrow(
      expect.objectContaining({ code: 'IDENTITY_KEY_INVALID' }),
    );
    expect(() => fingerprintOfPublicKey(rfc8037Identity().privateKey)).toThrow(
      expect.objectContaining({ code: 'IDENTITY_KEY_INVALID' }),
    );
  });
});

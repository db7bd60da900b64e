// A silo's Ed25519 identity key: generated locally on first start, kept in one PKCS#8 PEM file of mode 0600,
// never sent anywhere. Only its public half (32 raw bytes) and their SHA-256 fingerprint leave the hospital.
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { link, mkdir, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { errorCodeOf, isBytes, messageOf } from './realm-checks.js';
import { IdentityError } from './identity-error.js';

/** The one file `loadOrCreateIdentityKey` keeps in the key folder. */
export const IDENTITY_KEY_FILE = 'identity.key';

const RAW_KEY_BYTES = 32;
// A PKCS#8 Ed25519 PEM is ~120 bytes; anything far larger is not a key file and is not read into memory.
const MAX_KEY_FILE_BYTES = 64 * 1024;

export interface SiloIdentity {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** The raw Ed25519 public key, 32 bytes: what enrolment sends. */
  publicKeyRaw: Buffer;
  /** Lowercase hex SHA-256 of `publicKeyRaw`: what a site admin compares out of band, and the JWS `kid`. */
  fingerprint: string;
}

/**
 * Loads the identity key from `dir/identity.key`, or generates one there on first use (the folder is created
 * with mode 0700, the file with 0600). Refuses a key file that group or others may access
 * (`IDENTITY_KEY_INSECURE`) and a file that is not an Ed25519 private key (`IDENTITY_KEY_INVALID`).
 */
export async function loadOrCreateIdentityKey(dir: string): Promise<SiloIdentity> {
  const file = join(dir, IDENTITY_KEY_FILE);
  const existing = await readIdentityKeyFile(file);
  if (existing) return existing;
  await createIdentityKeyFile(dir, file);
  const created = await readIdentityKeyFile(file);
  if (!created)
    throw new IdentityError('IDENTITY_KEY_IO', `identity key ${file} vanished right after it was created`);
  return created;
}

/** The identity of a private key held in memory (the enclave's receipt key, tests). */
export function identityFromPrivateKey(privateKey: KeyObject): SiloIdentity {
  if (privateKey.type !== 'private' || privateKey.asymmetricKeyType !== 'ed25519') {
    throw new IdentityError(
      'IDENTITY_KEY_INVALID',
      `expected an Ed25519 private key, got a ${privateKey.type} ${privateKey.asymmetricKeyType ?? 'symmetric'} key`,
    );
  }
  const publicKey = createPublicKey(privateKey);
  const publicKeyRaw = rawOf(publicKey);
  return { privateKey, publicKey, publicKeyRaw, fingerprint: fingerprintOf(publicKeyRaw) };
}

/** An Ed25519 public key from its 32 raw bytes (RFC 8032), as enrolment and the protocol carry it. */
export function publicKeyFromRaw(raw: Uint8Array): KeyObject {
  requireRawKey(raw);
  try {
    return createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(raw).toString('base64url') },
      format: 'jwk',
    });
  } catch (cause) {
    throw new IdentityError('IDENTITY_KEY_INVALID', 'the 32 bytes are not an Ed25519 public key', { cause });
  }
}

/** Lowercase hex SHA-256 of a raw 32-byte Ed25519 public key. */
export function fingerprintOf(raw: Uint8Array): string {
  requireRawKey(raw);
  return createHash('sha256').update(raw).digest('hex');
}

// Verifiers check the JWS `kid` against the key on every call; a key's fingerprint never changes, so it is
// computed once per KeyObject.
const fingerprints = new WeakMap<KeyObject, string>();

/** The fingerprint of an Ed25519 public key object (`IDENTITY_KEY_INVALID` for any other key). */
export function fingerprintOfPublicKey(publicKey: KeyObject): string {
  let fingerprint = fingerprints.get(publicKey);
  if (fingerprint === undefined) {
    requireEd25519PublicKey(publicKey);
    fingerprint = fingerprintOf(rawOf(publicKey));
    fingerprints.set(publicKey, fingerprint);
  }
  return fingerprint;
}

/** Throws `IDENTITY_KEY_INVALID` unless `key` is an Ed25519 public key. */
export function requireEd25519PublicKey(key: KeyObject): void {
  if (key.type !== 'public' || key.asymmetricKeyType !== 'ed25519') {
    throw new IdentityError(
      'IDENTITY_KEY_INVALID',
      `expected an Ed25519 public key, got a ${key.type} ${key.asymmetricKeyType ?? 'symmetric'} key`,
    );
  }
}

function requireRawKey(raw: Uint8Array): void {
  if (!isBytes(raw) || raw.byteLength !== RAW_KEY_BYTES) {
    const got = isBytes(raw) ? `${raw.byteLength} bytes` : typeof raw;
    throw new IdentityError(
      'IDENTITY_KEY_INVALID',
      `an Ed25519 public key is ${RAW_KEY_BYTES} raw bytes, got ${got}`,
    );
  }
}

function rawOf(publicKey: KeyObject): Buffer {
  const { x } = publicKey.export({ format: 'jwk' });
  if (typeof x !== 'string')
    throw new IdentityError('IDENTITY_KEY_INVALID', 'the public key has no Ed25519 point');
  return Buffer.from(x, 'base64url');
}

/** The identity in `file`, or undefined when there is no such file yet. */
async function readIdentityKeyFile(file: string): Promise<SiloIdentity | undefined> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (cause) {
    if (errorCodeOf(cause) === 'ENOENT') return undefined;
    throw new IdentityError('IDENTITY_KEY_IO', `cannot open identity key ${file}: ${messageOf(cause)}`, {
      cause,
    });
  }
  let pem: string;
  try {
    // fstat on the open descriptor, so the mode checked is the mode of the file actually read.
    const stat = await handle.stat();
    if (!stat.isFile())
      throw new IdentityError('IDENTITY_KEY_INVALID', `identity key ${file} is not a regular file`);
    // Windows has no POSIX mode bits (Node reports 0666 for every file); its ACLs are the admin's to set.
    if (process.platform !== 'win32' && (stat.mode & 0o077) !== 0) {
      const mode = (stat.mode & 0o777).toString(8).padStart(4, '0');
      throw new IdentityError(
        'IDENTITY_KEY_INSECURE',
        `identity key ${file} has mode ${mode}: group or others may access the silo's private key. ` +
          `Restrict it to its owner with: chmod 600 ${file}`,
      );
    }
    if (stat.size > MAX_KEY_FILE_BYTES) {
      throw new IdentityError(
        'IDENTITY_KEY_INVALID',
        `identity key ${file} is ${stat.size} bytes, not a key file`,
      );
    }
    pem = await handle.readFile({ encoding: 'utf8' });
  } catch (cause) {
    if (cause instanceof IdentityError) throw cause;
    throw new IdentityError('IDENTITY_KEY_IO', `cannot read identity key ${file}: ${messageOf(cause)}`, {
      cause,
    });
  } finally {
    await handle.close();
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: pem, format: 'pem' });
  } catch (cause) {
    throw new IdentityError('IDENTITY_KEY_INVALID', `identity key ${file} is not a PEM private key`, {
      cause,
    });
  }
  try {
    return identityFromPrivateKey(privateKey);
  } catch (cause) {
    throw new IdentityError('IDENTITY_KEY_INVALID', `identity key ${file}: ${messageOf(cause)}`, { cause });
  }
}

/**
 * Writes a fresh key to a private temporary file, then hard-links it into place: the key file appears complete
 * or not at all (a crash leaves no truncated key), and when two agents start at once on the same folder, the
 * loser's link fails with EEXIST and both go on with the winner's key.
 */
async function createIdentityKeyFile(dir: string, file: string): Promise<void> {
  const { privateKey } = generateKeyPairSync('ed25519');
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const temporary = join(dir, `.${IDENTITY_KEY_FILE}.${randomBytes(8).toString('hex')}.tmp`);
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await writePrivateFile(temporary, pem);
    try {
      await link(temporary, file);
    } catch (cause) {
      const code = errorCodeOf(cause);
      if (code === 'EEXIST') return;
      // Some mounted file systems have no hard links; an exclusive create still never overwrites a key.
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS' && code !== 'EOPNOTSUPP') throw cause;
      await writePrivateFile(file, pem);
    }
  } catch (cause) {
    if (errorCodeOf(cause) === 'EEXIST') return;
    throw new IdentityError('IDENTITY_KEY_IO', `cannot create identity key ${file}: ${messageOf(cause)}`, {
      cause,
    });
  } finally {
    await rm(temporary, { force: true });
  }
}

async function writePrivateFile(path: string, contents: string): Promise<void> {
  const handle = await open(path, 'wx', 0o600);
  try {
    // The create mode is filtered by the umask; chmod states the intended mode whatever the umask is.
    await handle.chmod(0o600);
    await handle.writeFile(contents, { encoding: 'utf8' });
    await handle.sync();
  } finally {
    await handle.close();
  }
}

// X25519 key agreement (RFC 7748) with HKDF-SHA256 (RFC 5869), as Bonawitz et al. 2017 §4 use Diffie-Hellman to agree pairwise seeds.
import {
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  type KeyObject,
} from 'node:crypto';
import { SecAggError } from './errors.js';

export const X25519_KEY_BYTES = 32;

/** A key pair as raw bytes: the private half is Shamir-shared, so it must be a plain 32-byte string. */
export interface RawKeyPair {
  publicKey: Uint8Array;
  privateKey: Uint8Array;
}

function fromBase64Url(text: string | undefined, what: string): Uint8Array {
  if (text === undefined) throw new SecAggError('MALFORMED_MESSAGE', `X25519 ${what} is missing`);
  return new Uint8Array(Buffer.from(text, 'base64url'));
}

// RFC 8410 DER wrappers: node:crypto imports raw X25519 keys only inside PKCS #8 / SubjectPublicKeyInfo.
const PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');

// Importing a key costs milliseconds, more than the agreement itself, and a round agrees with each key once per
// neighbour: the key objects are kept as long as the byte arrays they came from.
const privateObjects = new WeakMap<Uint8Array, KeyObject>();
const publicObjects = new WeakMap<Uint8Array, KeyObject>();

function privateKeyObject(privateKey: Uint8Array): KeyObject {
  checkKey(privateKey, 'private key');
  let key = privateObjects.get(privateKey);
  if (!key) {
    key = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, privateKey]), format: 'der', type: 'pkcs8' });
    privateObjects.set(privateKey, key);
  }
  return key;
}

function publicKeyObject(publicKey: Uint8Array): KeyObject {
  checkKey(publicKey, 'public key');
  let key = publicObjects.get(publicKey);
  if (!key) {
    key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, publicKey]), format: 'der', type: 'spki' });
    publicObjects.set(publicKey, key);
  }
  return key;
}

export function generateKeyPair(): RawKeyPair {
  const pair = generateKeyPairSync('x25519');
  const jwk = pair.privateKey.export({ format: 'jwk' });
  const raw = {
    publicKey: fromBase64Url(jwk.x, 'public key'),
    privateKey: fromBase64Url(jwk.d, 'private key'),
  };
  privateObjects.set(raw.privateKey, pair.privateKey);
  publicObjects.set(raw.publicKey, pair.publicKey);
  return raw;
}

/** The public key of a raw private key: how a reconstructed private key is checked against what was advertised. */
export function publicKeyOf(privateKey: Uint8Array): Uint8Array {
  return fromBase64Url(
    createPublicKey(privateKeyObject(privateKey)).export({ format: 'jwk' }).x,
    'public key',
  );
}

function checkKey(key: Uint8Array, what: string): void {
  if (key.byteLength !== X25519_KEY_BYTES)
    throw new SecAggError('MALFORMED_MESSAGE', `an X25519 ${what} has 32 bytes, got ${key.byteLength}`);
}

/**
 * 32 bytes both ends derive alone: HKDF over the X25519 shared secret, bound to `info` (protocol, round, purpose)
 * so one agreement never seeds two things.
 */
export function agree(privateKey: Uint8Array, peerPublicKey: Uint8Array, info: string): Uint8Array {
  const shared = diffieHellman({
    privateKey: privateKeyObject(privateKey),
    publicKey: publicKeyObject(peerPublicKey),
  });
  if (shared.every((b) => b === 0))
    throw new SecAggError(
      'MALFORMED_MESSAGE',
      'an X25519 public key of small order gives an all-zero secret',
    );
  return new Uint8Array(hkdfSync('sha256', shared, new Uint8Array(0), info, 32));
}

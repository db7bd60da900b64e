// DHKEM(X25519, HKDF-SHA256) of RFC 9180 §4.1 (Encap/Decap, ExtractAndExpand) and §7.1.3 (DeriveKeyPair),
// on node's synchronous X25519 (generateKeyPairSync, diffieHellman) so no step waits for the thread pool.
import {
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';

import { SealingError } from './errors.js';
import { kemSuiteId, labeledExpand, labeledExtract } from './labeled-hkdf.js';

/** kem_id of DHKEM(X25519, HKDF-SHA256). */
export const KEM_ID = 0x0020;
/** Npk = Nenc = Nsk = Nsecret = 32 for this KEM. */
export const X25519_KEY_LENGTH = 32;

const SUITE_ID = kemSuiteId(KEM_ID);
const NO_BYTES = new Uint8Array(0);
// RFC 8410 PKCS#8 wrapper of a raw X25519 private key: node imports raw private scalars only this way
// (its JWK import also wants the public `x`, which would first have to be computed from the scalar).
const PKCS8_X25519_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');

export interface X25519KeyPair {
  readonly privateKey: KeyObject;
  /** SerializePublicKey(pk): the 32-byte u-coordinate. */
  readonly publicKeyRaw: Buffer;
}

/** A fresh X25519 key pair from OpenSSL's generator. */
export function generateX25519KeyPair(): X25519KeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('x25519');
  return { privateKey, publicKeyRaw: rawPublicKey(publicKey) };
}

/** DeriveKeyPair(ikm), RFC 9180 §7.1.3: sk = LabeledExpand(LabeledExtract("", "dkp_prk", ikm), "sk", "", Nsk). */
export function deriveX25519KeyPair(ikm: Uint8Array): X25519KeyPair {
  const dkpPrk = labeledExtract(SUITE_ID, NO_BYTES, 'dkp_prk', ikm);
  const sk = labeledExpand(SUITE_ID, dkpPrk, 'sk', NO_BYTES, X25519_KEY_LENGTH);
  const pkcs8 = Buffer.concat([PKCS8_X25519_PREFIX, sk]);
  try {
    const privateKey = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
    return { privateKey, publicKeyRaw: rawPublicKey(createPublicKey(privateKey)) };
  } finally {
    dkpPrk.fill(0);
    sk.fill(0);
    pkcs8.fill(0);
  }
}

/** DeserializePublicKey: any 32 bytes are an X25519 u-coordinate (RFC 7748 §5); low order shows at DH time. */
export function x25519PublicKey(raw: Uint8Array): KeyObject {
  if (raw.byteLength !== X25519_KEY_LENGTH) {
    throw new RangeError(`an X25519 public key is ${X25519_KEY_LENGTH} bytes, got ${raw.byteLength}`);
  }
  // JWK rather than SPKI DER: node's DER decoder goes through OpenSSL's decoder lookup, several times slower.
  return createPublicKey({
    key: {
      kty: 'OKP',
      crv: 'X25519',
      x: Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64url'),
    },
    format: 'jwk',
  });
}

/**
 * Encap(pkR) with a fresh ephemeral key, or the one `ephemeral` fixes (RFC 9180 Appendix A's skEm). A low-order
 * `pkR` (all-zero shared secret, §7.1.4) is the recipient key's fault: `SEALING_KEY_INVALID`.
 */
export function encap(
  pkR: KeyObject,
  pkRm: Uint8Array,
  ephemeral: X25519KeyPair = generateX25519KeyPair(),
): { sharedSecret: Buffer; enc: Buffer } {
  const dh = x25519(ephemeral.privateKey, pkR, () => {
    throw new SealingError('SEALING_KEY_INVALID', 'cannot seal to this public key: it is a low-order point');
  });
  const enc = ephemeral.publicKeyRaw;
  return { sharedSecret: extractAndExpand(dh, enc, pkRm), enc };
}

/** Decap(enc, skR): a low-order `enc` is the sender's doing and fails like any other bad input. */
export function decap(enc: Uint8Array, skR: KeyObject, pkRm: Uint8Array): Buffer {
  const failed = (cause?: unknown): never => {
    throw new SealingError('SEALED_OPEN_FAILED', 'the encapsulated key is not usable', { cause });
  };
  let pkE: KeyObject;
  try {
    pkE = x25519PublicKey(enc);
  } catch (cause) {
    return failed(cause);
  }
  return extractAndExpand(x25519(skR, pkE, failed), enc, pkRm);
}

/** ExtractAndExpand(dh, enc ‖ pkRm): the KEM's shared secret, Nsecret bytes. */
function extractAndExpand(dh: Buffer, enc: Uint8Array, pkRm: Uint8Array): Buffer {
  const eaePrk = labeledExtract(SUITE_ID, NO_BYTES, 'eae_prk', dh);
  const kemContext = Buffer.concat([enc, pkRm]);
  try {
    return labeledExpand(SUITE_ID, eaePrk, 'shared_secret', kemContext, X25519_KEY_LENGTH);
  } finally {
    dh.fill(0);
    eaePrk.fill(0);
  }
}

/** DH(sk, pk), refusing the all-zero output of a low-order point (RFC 9180 §7.1.4, RFC 7748 §6.1). */
function x25519(privateKey: KeyObject, publicKey: KeyObject, lowOrder: (cause?: unknown) => never): Buffer {
  let dh: Buffer;
  try {
    dh = diffieHellman({ privateKey, publicKey });
  } catch (cause) {
    // OpenSSL already refuses an all-zero X25519 result during derivation.
    return lowOrder(cause);
  }
  let bits = 0;
  for (const byte of dh) bits |= byte;
  if (bits === 0) return lowOrder();
  return dh;
}

function rawPublicKey(publicKey: KeyObject): Buffer {
  const { x } = publicKey.export({ format: 'jwk' });
  if (typeof x !== 'string') throw new Error('node returned an X25519 public key without its u-coordinate');
  return Buffer.from(x, 'base64url');
}

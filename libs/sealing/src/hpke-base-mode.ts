// RFC 9180 single-shot base mode (§5.1 KeySchedule with mode_base, §6.1 Seal/Open at sequence number 0) for
// DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM, entirely on node's synchronous primitives: WebCrypto
// (what @hpke/core runs on) sends every step to libuv's thread pool, and under load those hops cost more than
// the cryptography. The exporter secret is not derived: Cohort never exports from a sealing context.
import { createCipheriv, createDecipheriv, type Cipher, type Decipher, type KeyObject } from 'node:crypto';

import { decap, encap, KEM_ID, type X25519KeyPair } from './dhkem-x25519.js';
import { SealingError } from './errors.js';
import { hpkeSuiteId, labeledExpand, labeledExtract } from './labeled-hkdf.js';

/** kdf_id of HKDF-SHA256. */
const KDF_ID = 0x0001;
/** aead_id of AES-128-GCM. */
const AEAD_ID = 0x0001;
/** Nk, Nn and Nt of AES-128-GCM. */
const KEY_LENGTH = 16;
const NONCE_LENGTH = 12;
export const AEAD_TAG_LENGTH = 16;

const SUITE_ID = hpkeSuiteId(KEM_ID, KDF_ID, AEAD_ID);
const MODE_BASE = Uint8Array.of(0x00);
const NO_BYTES = new Uint8Array(0);
// Base mode has no PSK: psk_id_hash is the same for every context, so it is computed once.
const PSK_ID_HASH = labeledExtract(SUITE_ID, NO_BYTES, 'psk_id_hash', NO_BYTES);
// GCM is a stream mode: ciphertext and plaintext have the same length, so the output is allocated once and
// filled slice by slice, with no multi-megabyte intermediate buffer to fault in and copy again.
const SLICE_BYTES = 64 * 1024;

/**
 * Seal(pkR, info, aad, pt) → enc ‖ ct ‖ tag. `ephemeral` fixes the sender's key for RFC 9180 Appendix A only:
 * a repeated ephemeral key with the same recipient and info repeats the AEAD key and nonce.
 */
export function sealBase(
  pkR: KeyObject,
  pkRm: Uint8Array,
  info: Uint8Array,
  aad: Uint8Array,
  plaintext: Uint8Array,
  ephemeral?: X25519KeyPair,
): Buffer {
  const { sharedSecret, enc } = encap(pkR, pkRm, ephemeral);
  const { key, baseNonce } = keyScheduleBase(sharedSecret, info);
  try {
    // Sequence number 0: the nonce is base_nonce itself (base_nonce XOR I2OSP(0, Nn)).
    const cipher = createCipheriv('aes-128-gcm', key, baseNonce, { authTagLength: AEAD_TAG_LENGTH });
    cipher.setAAD(aad);
    const sealed = Buffer.allocUnsafe(enc.byteLength + plaintext.byteLength + AEAD_TAG_LENGTH);
    enc.copy(sealed, 0);
    const end = streamInto(cipher, plaintext, sealed, enc.byteLength);
    cipher.getAuthTag().copy(sealed, end);
    return sealed;
  } finally {
    key.fill(0);
    baseNonce.fill(0);
  }
}

/** Open(enc, skR, info, aad, ct ‖ tag) → pt; `SEALED_OPEN_FAILED` for any failure of Decap or the AEAD. */
export function openBase(
  skR: KeyObject,
  pkRm: Uint8Array,
  enc: Uint8Array,
  info: Uint8Array,
  aad: Uint8Array,
  ciphertext: Uint8Array,
): Buffer {
  if (ciphertext.byteLength < AEAD_TAG_LENGTH) {
    throw new SealingError('SEALED_OPEN_FAILED', 'the ciphertext is shorter than its authentication tag');
  }
  const { key, baseNonce } = keyScheduleBase(decap(enc, skR, pkRm), info);
  const bodyLength = ciphertext.byteLength - AEAD_TAG_LENGTH;
  let plaintext: Buffer | undefined;
  try {
    const decipher = createDecipheriv('aes-128-gcm', key, baseNonce, { authTagLength: AEAD_TAG_LENGTH });
    decipher.setAAD(aad);
    decipher.setAuthTag(ciphertext.subarray(bodyLength));
    // Memory of its own (not a slice of node's shared pool): the caller wipes it, and typed-array views of it
    // start at offset 0.
    plaintext = Buffer.allocUnsafeSlow(bodyLength);
    streamInto(decipher, ciphertext.subarray(0, bodyLength), plaintext, 0);
    return plaintext;
  } catch (cause) {
    // GCM decrypts before the tag is checked: unauthenticated plaintext is wiped, never handed out.
    plaintext?.fill(0);
    throw new SealingError('SEALED_OPEN_FAILED', 'the ciphertext does not authenticate', { cause });
  } finally {
    key.fill(0);
    baseNonce.fill(0);
  }
}

/** Runs all of `input` and the final block through a GCM cipher into `out` from `offset`; returns the end. */
function streamInto(cipher: Cipher | Decipher, input: Uint8Array, out: Buffer, offset: number): number {
  let at = offset;
  for (let i = 0; i < input.byteLength; i += SLICE_BYTES) {
    at += cipher.update(input.subarray(i, i + SLICE_BYTES)).copy(out, at);
  }
  // For a decipher, final() is where the tag is checked (and throws).
  at += cipher.final().copy(out, at);
  if (at !== offset + input.byteLength) throw new Error('AES-GCM changed the length of its input');
  return at;
}

/**
 * KeySchedule(mode_base, shared_secret, info, psk = "", psk_id = ""), keeping key and base_nonce. Wipes
 * `sharedSecret`: it is needed for nothing else.
 */
export function keyScheduleBase(sharedSecret: Buffer, info: Uint8Array): { key: Buffer; baseNonce: Buffer } {
  const infoHash = labeledExtract(SUITE_ID, NO_BYTES, 'info_hash', info);
  const context = Buffer.concat([MODE_BASE, PSK_ID_HASH, infoHash]);
  const secret = labeledExtract(SUITE_ID, sharedSecret, 'secret', NO_BYTES);
  try {
    return {
      key: labeledExpand(SUITE_ID, secret, 'key', context, KEY_LENGTH),
      baseNonce: labeledExpand(SUITE_ID, secret, 'base_nonce', context, NONCE_LENGTH),
    };
  } finally {
    sharedSecret.fill(0);
    secret.fill(0);
  }
}

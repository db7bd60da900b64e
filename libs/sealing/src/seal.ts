// Single-shot HPKE (RFC 9180 §6.1) over a whole model update: sealed = enc ‖ ciphertext. One message per HPKE
// context means the sequence number is always 0 and no nonce state has to survive between calls.
import type { webcrypto } from 'node:crypto';

import { SealingError } from './errors.js';
import { importSealingPublicKey, type SealingKeyPair } from './key-pair.js';
import { ENC_LENGTH, TAG_LENGTH, UPDATE_INFO, suite } from './scheme.js';

/**
 * Test hook: RFC 9180 Appendix A fixes the sender's ephemeral key through its `ikmE`. Never set outside
 * tests — a fixed ephemeral key with a fixed recipient repeats the AEAD key and nonce.
 */
export interface SealOptions {
  readonly info?: Uint8Array;
  readonly ephemeralIkm?: Uint8Array;
}

/** Seals `plaintext` to the enclave's X25519 public key, binding `aad` (the update header, see updateAad). */
export async function seal(
  recipientPublicKeyRaw: Uint8Array,
  plaintext: Uint8Array,
  aad: Uint8Array,
): Promise<Buffer> {
  return sealWith(recipientPublicKeyRaw, plaintext, aad, {});
}

export async function sealWith(
  recipientPublicKeyRaw: Uint8Array,
  plaintext: Uint8Array,
  aad: Uint8Array,
  options: SealOptions,
): Promise<Buffer> {
  const recipientPublicKey = await importSealingPublicKey(recipientPublicKeyRaw);
  let sealed: { ct: ArrayBuffer; enc: ArrayBuffer };
  try {
    sealed = await suite.seal(
      { recipientPublicKey, info: options.info ?? UPDATE_INFO, ekm: options.ephemeralIkm },
      plaintext,
      aad,
    );
  } catch (cause) {
    // X25519 with a low-order public key yields an all-zero shared secret, which OpenSSL refuses (RFC 9180
    // §7.1.4): the key, not the data, is at fault.
    throw new SealingError('SEALING_KEY_INVALID', 'cannot seal to this public key', { cause });
  }
  return Buffer.concat([new Uint8Array(sealed.enc), new Uint8Array(sealed.ct)]);
}

/** Opens what `seal` produced for this key pair and this exact `aad`. */
export async function open(keyPair: SealingKeyPair, sealed: Uint8Array, aad: Uint8Array): Promise<Buffer> {
  return openWith(keyPair, sealed, aad, {});
}

export async function openWith(
  keyPair: SealingKeyPair,
  sealed: Uint8Array,
  aad: Uint8Array,
  options: Pick<SealOptions, 'info'>,
): Promise<Buffer> {
  if (sealed.byteLength < ENC_LENGTH + TAG_LENGTH) {
    throw new SealingError(
      'SEALED_MALFORMED',
      `a sealed update is at least ${ENC_LENGTH + TAG_LENGTH} bytes (encapsulated key and tag), got ${sealed.byteLength}`,
    );
  }
  // Passing the public half avoids the library re-deriving it from the private key, which needs an export
  // the non-extractable key does not allow.
  const publicKey: webcrypto.CryptoKey = await importSealingPublicKey(keyPair.publicKeyRaw);
  try {
    const plaintext = await suite.open(
      {
        recipientKey: { privateKey: keyPair.privateKey, publicKey },
        enc: sealed.subarray(0, ENC_LENGTH),
        info: options.info ?? UPDATE_INFO,
      },
      sealed.subarray(ENC_LENGTH),
      aad,
    );
    return Buffer.from(plaintext);
  } catch (cause) {
    // Decap, key-schedule and AEAD failures are deliberately one code: telling a sender *which* check failed
    // helps an attacker more than an operator.
    throw new SealingError(
      'SEALED_OPEN_FAILED',
      'the sealed update does not open with this enclave key and header (tampered, wrong key, or wrong header)',
      { cause },
    );
  }
}

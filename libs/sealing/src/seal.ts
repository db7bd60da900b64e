// Single-shot HPKE (RFC 9180 §6.1) over a whole model update: sealed = enc ‖ ciphertext. One message per HPKE
// context means the sequence number is always 0 and no nonce state has to survive between calls. Everything
// runs synchronously on the calling thread (hpke-base-mode.ts); the functions return promises only so callers
// keep one shape whatever implements the suite.
import { deriveX25519KeyPair } from './dhkem-x25519.js';
import { SealingError } from './errors.js';
import { openBase, sealBase } from './hpke-base-mode.js';
import { importSealingPublicKey, type SealingKeyPair } from './key-pair.js';
import { ENC_LENGTH, TAG_LENGTH, UPDATE_INFO } from './scheme.js';

/**
 * Test hook: RFC 9180 Appendix A fixes the sender's ephemeral key through its `ikmE`. Never set outside
 * tests — a fixed ephemeral key with a fixed recipient repeats the AEAD key and nonce.
 */
export interface SealOptions {
  readonly info?: Uint8Array;
  readonly ephemeralIkm?: Uint8Array;
}

/** Seals `plaintext` to the enclave's X25519 public key, binding `aad` (the update header, see updateAad). */
export function seal(
  recipientPublicKeyRaw: Uint8Array,
  plaintext: Uint8Array,
  aad: Uint8Array,
): Promise<Buffer> {
  return sealWith(recipientPublicKeyRaw, plaintext, aad, {});
}

export function sealWith(
  recipientPublicKeyRaw: Uint8Array,
  plaintext: Uint8Array,
  aad: Uint8Array,
  options: SealOptions,
): Promise<Buffer> {
  return settle(() =>
    sealBase(
      importSealingPublicKey(recipientPublicKeyRaw),
      recipientPublicKeyRaw,
      options.info ?? UPDATE_INFO,
      aad,
      plaintext,
      options.ephemeralIkm === undefined ? undefined : deriveX25519KeyPair(options.ephemeralIkm),
    ),
  );
}

/** Opens what `seal` produced for this key pair and this exact `aad`. */
export function open(keyPair: SealingKeyPair, sealed: Uint8Array, aad: Uint8Array): Promise<Buffer> {
  return openWith(keyPair, sealed, aad, {});
}

export function openWith(
  keyPair: SealingKeyPair,
  sealed: Uint8Array,
  aad: Uint8Array,
  options: Pick<SealOptions, 'info'>,
): Promise<Buffer> {
  return settle(() => {
    if (sealed.byteLength < ENC_LENGTH + TAG_LENGTH) {
      throw new SealingError(
        'SEALED_MALFORMED',
        `a sealed update is at least ${ENC_LENGTH + TAG_LENGTH} bytes (encapsulated key and tag), got ${sealed.byteLength}`,
      );
    }
    try {
      return openBase(
        keyPair.privateKey,
        keyPair.publicKeyRaw,
        sealed.subarray(0, ENC_LENGTH),
        options.info ?? UPDATE_INFO,
        aad,
        sealed.subarray(ENC_LENGTH),
      );
    } catch (cause) {
      // Decap, key-schedule and AEAD failures are deliberately one code: telling a sender *which* check failed
      // helps an attacker more than an operator.
      throw new SealingError(
        'SEALED_OPEN_FAILED',
        'the sealed update does not open with this enclave key and header (tampered, wrong key, or wrong header)',
        { cause },
      );
    }
  });
}

/** A thrown SealingError becomes a rejection, as callers of a promise-returning function expect. */
function settle<T>(run: () => T): Promise<T> {
  try {
    return Promise.resolve(run());
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}

// Single-shot HPKE (RFC 9180 §6.1) over a whole model update: sealed = enc ‖ ciphertext. One message per HPKE
// context means the sequence number is always 0 and no nonce state has to survive between calls. Everything
// runs synchronously on the calling thread (hpke-base-mode.ts); the functions return promises only so callers
// keep one shape whatever implements the suite.
import { deriveX25519KeyPair } from './dhkem-x25519.js';
import { SealingError } from './errors.js';
import { openBase, sealBase } from './hpke-base-mode.js';
import type { KeyObject } from 'node:crypto';
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

/**
 * Recipients' imported public keys by their bytes: a silo seals every round to the same enclave key, and importing
 * it (a JWK round trip in node:crypto) costs about as much as the X25519 agreement itself. A few keys are kept.
 */
const recipients = new Map<string, KeyObject>();
const RECIPIENTS_KEPT = 8;

function recipientKey(raw: Uint8Array): KeyObject {
  const id = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64');
  let key = recipients.get(id);
  if (key === undefined) {
    key = importSealingPublicKey(raw);
    if (recipients.size >= RECIPIENTS_KEPT) recipients.delete(recipients.keys().next().value ?? '');
    recipients.set(id, key);
  }
  return key;
}

export function sealWith(
  recipientPublicKeyRaw: Uint8Array,
  plaintext: Uint8Array,
  aad: Uint8Array,
  options: SealOptions,
): Promise<Buffer> {
  return settle(() =>
    sealBase(
      recipientKey(recipientPublicKeyRaw),
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

// The enclave's sealing key pair, generated inside the enclave process. The private half is a node KeyObject
// that no code of ours exports: WebCrypto's non-extractable flag is gone with WebCrypto, and in node it never
// was a boundary (KeyObject.from() turns a non-extractable CryptoKey into a KeyObject that exports freely), so
// what keeps the key in is the enclave's process boundary, as before.
import type { KeyObject } from 'node:crypto';

import { generateX25519KeyPair, x25519PublicKey } from './dhkem-x25519.js';
import { SealingError } from './errors.js';
import { PUBLIC_KEY_LENGTH } from './scheme.js';

export interface SealingKeyPair {
  /** X25519 private key; stays in the process that generated it. */
  readonly privateKey: KeyObject;
  /** The 32-byte raw X25519 public key silos seal to (and attestation binds). */
  readonly publicKeyRaw: Uint8Array;
}

/** A fresh pair from OpenSSL's X25519 generator (synchronous: nothing here waits for the thread pool). */
export function generateSealingKeyPair(): Promise<SealingKeyPair> {
  // Still a promise: callers written for the WebCrypto version await it, and a later key source may be remote.
  return Promise.resolve(generateX25519KeyPair());
}

/** Imports a raw X25519 public key for HPKE, refusing anything that is not one. */
export function importSealingPublicKey(raw: Uint8Array): KeyObject {
  if (raw.byteLength !== PUBLIC_KEY_LENGTH) {
    throw new SealingError(
      'SEALING_KEY_INVALID',
      `an X25519 sealing public key is ${PUBLIC_KEY_LENGTH} bytes, got ${raw.byteLength}`,
    );
  }
  try {
    return x25519PublicKey(raw);
  } catch (cause) {
    throw new SealingError('SEALING_KEY_INVALID', 'the sealing public key is not a valid X25519 key', {
      cause,
    });
  }
}

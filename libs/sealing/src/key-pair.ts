// The enclave's sealing key pair. It is generated inside the enclave process; the private half is created
// non-extractable so no code path — not even a bug — can serialise it out of the process.
import { webcrypto } from 'node:crypto';

import { SealingError } from './errors.js';
import { PUBLIC_KEY_LENGTH } from './scheme.js';

export interface SealingKeyPair {
  /** X25519 private key, non-extractable, usable only for deriveBits. */
  readonly privateKey: webcrypto.CryptoKey;
  /** The 32-byte raw X25519 public key silos seal to (and attestation binds). */
  readonly publicKeyRaw: Uint8Array;
}

const X25519 = { name: 'X25519' } as const;

export async function generateSealingKeyPair(): Promise<SealingKeyPair> {
  // @hpke/core's generateKeyPair() always makes extractable keys, so the pair is made with WebCrypto directly;
  // the suite accepts any X25519 CryptoKey with the deriveBits usage.
  const pair = (await webcrypto.subtle.generateKey(X25519, false, ['deriveBits'])) as webcrypto.CryptoKeyPair;
  const publicKeyRaw = new Uint8Array(await webcrypto.subtle.exportKey('raw', pair.publicKey));
  return { privateKey: pair.privateKey, publicKeyRaw };
}

/** Imports a raw X25519 public key for HPKE, refusing anything that is not one. */
export async function importSealingPublicKey(raw: Uint8Array): Promise<webcrypto.CryptoKey> {
  if (raw.byteLength !== PUBLIC_KEY_LENGTH) {
    throw new SealingError(
      'SEALING_KEY_INVALID',
      `an X25519 sealing public key is ${PUBLIC_KEY_LENGTH} bytes, got ${raw.byteLength}`,
    );
  }
  try {
    return await webcrypto.subtle.importKey('raw', raw, X25519, true, []);
  } catch (cause) {
    throw new SealingError('SEALING_KEY_INVALID', 'the sealing public key is not a valid X25519 key', {
      cause,
    });
  }
}

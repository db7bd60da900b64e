// The one HPKE suite Cohort seals updates with. Silos and the enclave must agree on it byte for byte, so it is
// named once here and announced (SEALING_SCHEME) alongside the enclave key in attestation evidence; the suite
// itself is implemented in hpke-base-mode.ts.

/** mode base, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM (RFC 9180 §7). */
export const SEALING_SCHEME = 'hpke-x25519-hkdfsha256-aes128gcm';

/** Nenc for DHKEM(X25519, HKDF-SHA256): the encapsulated key is the sender's ephemeral public key. */
export const ENC_LENGTH = 32;
/** Npk for X25519. */
export const PUBLIC_KEY_LENGTH = 32;
/** Nt for AES-128-GCM: every ciphertext, even of an empty plaintext, carries the tag. */
export const TAG_LENGTH = 16;

/** HPKE `info`: binds every sealed payload to its purpose, so a key reused elsewhere cannot open it. */
export const UPDATE_INFO = new TextEncoder().encode('cohort/v1/update');

/** The size of a sealed payload: HPKE's encapsulated key, the ciphertext, and the AEAD tag. */
export function sealedLength(plaintextBytes: number): number {
  return ENC_LENGTH + plaintextBytes + TAG_LENGTH;
}

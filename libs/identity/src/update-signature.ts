// The signature on a model update. The silo signs, and the aggregator checks before anything else touches the
// payload, a digest binding the update to one job, one round, one silo, the nonce the task issued for it (so a
// replay or a reuse in another round fails) and the SHA-256 of the sealed payload (so the signature covers
// the ciphertext the enclave will open, without the host ever holding the plaintext).
//
// canonicalUpdateDigest = SHA-256( field("cohort/v1/update") ‖ field(utf8 jobId) ‖ u32be(round)
//                                  ‖ field(utf8 siloId) ‖ field(nonce) ‖ field(payloadSha256)
//                                  ‖ u32be(exampleCount) ‖ field(utf8 sealing) [‖ field(utf8 wireEncoding)] )
// (the wire encoding only when it is not float32, so float32 updates keep the digest they always had)
// The example count weighs the update in the mean and the sealing names how to open it: both are signed too.
// with field(b) = u32be(byte length of b) ‖ b (see canonical-encoding.ts). The JWS payload is these 32 bytes.
import type { KeyObject } from 'node:crypto';
import { CanonicalEncoder } from './canonical-encoding.js';
import { signCompactJws, verifyStatementJws } from './compact-jws.js';
import type { SiloIdentity } from './identity-key.js';

export const UPDATE_JWS_TYPE = 'cohort-update+jws';
const UPDATE_TAG = 'cohort/v1/update';
// The aggregator issues 16 random bytes; fewer than 16 would make a guessed or repeated nonce plausible.
const NONCE_BYTES = { min: 16, max: 256 };
const SHA256_BYTES = { min: 32, max: 32 };

export interface UpdateClaims {
  jobId: string;
  /** The round, 0 … 2^32 − 1 (a uint32 on the wire). */
  round: number;
  siloId: string;
  /** The nonce of the task this update answers, 16 to 256 bytes. */
  nonce: Uint8Array;
  /** SHA-256 of the sealed payload exactly as uploaded, 32 bytes. */
  payloadSha256: Uint8Array;
  /** The update's weight in the mean (a uint32). */
  exampleCount: number;
  /** The sealing scheme of the payload; empty for a plaintext payload. */
  sealing: string;
  /**
   * The plaintext's wire encoding (float32 when absent). Signed, so an update relabelled in transit fails its
   * signature instead of being decoded as something else; float32 leaves the digest as it always was.
   */
  wireEncoding?: string;
}

/** The 32-byte digest an update signature covers; `CLAIMS_INVALID` when a claim is out of range. */
export function canonicalUpdateDigest(claims: UpdateClaims): Buffer {
  const encoder = new CanonicalEncoder(UPDATE_TAG)
    .text('jobId', claims.jobId)
    .u32('round', claims.round)
    .text('siloId', claims.siloId)
    .bytes('nonce', claims.nonce, NONCE_BYTES)
    .bytes('payloadSha256', claims.payloadSha256, SHA256_BYTES)
    .u32('exampleCount', claims.exampleCount)
    .text('sealing', claims.sealing, { allowEmpty: true });
  if (claims.wireEncoding !== undefined && claims.wireEncoding !== 'float32') {
    encoder.text('wireEncoding', claims.wireEncoding);
  }
  return encoder.digest();
}

/** A compact JWS (EdDSA, typ cohort-update+jws, kid = the silo's fingerprint) over the update digest. */
export async function signUpdate(
  identity: Pick<SiloIdentity, 'privateKey' | 'fingerprint'>,
  claims: UpdateClaims,
): Promise<string> {
  const digest = canonicalUpdateDigest(claims);
  return signCompactJws(identity.privateKey, { typ: UPDATE_JWS_TYPE, kid: identity.fingerprint }, digest);
}

/**
 * Resolves when `jws` is `publicKey`'s signature over exactly `expected`; otherwise throws `IdentityError` with
 * `SIGNATURE_MALFORMED`, `SIGNATURE_INVALID` or `SIGNATURE_MISMATCH` (`CLAIMS_INVALID` for unusable `expected`).
 */
export async function verifyUpdate(jws: string, publicKey: KeyObject, expected: UpdateClaims): Promise<void> {
  await verifyStatementJws(jws, publicKey, UPDATE_JWS_TYPE, canonicalUpdateDigest(expected));
}

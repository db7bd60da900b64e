// The enclave's receipt for an accepted update: the silo keeps it in its local audit log as proof that this
// payload (by hash) was received for this job and round, and when.
//
// canonicalReceiptDigest = SHA-256( field("cohort/v1/receipt") ‖ field(utf8 jobId) ‖ u32be(round)
//                                   ‖ field(utf8 siloId) ‖ field(payloadSha256) ‖ u64be(receivedAtUnixMs) )
// with field(b) = u32be(byte length of b) ‖ b (see canonical-encoding.ts). The JWS payload is these 32 bytes.
import type { KeyObject } from 'node:crypto';
import { CanonicalEncoder } from './canonical-encoding.js';
import { signCompactJws, verifyStatementJws } from './compact-jws.js';
import { identityFromPrivateKey } from './identity-key.js';

export const RECEIPT_JWS_TYPE = 'cohort-receipt+jws';
const RECEIPT_TAG = 'cohort/v1/receipt';
const SHA256_BYTES = { min: 32, max: 32 };

export interface ReceiptClaims {
  jobId: string;
  round: number;
  siloId: string;
  /** SHA-256 of the sealed payload as received, 32 bytes. */
  payloadSha256: Uint8Array;
  receivedAtUnixMs: number;
}

/** The 32-byte digest a receipt signature covers; `CLAIMS_INVALID` when a claim is out of range. */
export function canonicalReceiptDigest(claims: ReceiptClaims): Buffer {
  return new CanonicalEncoder(RECEIPT_TAG)
    .text('jobId', claims.jobId)
    .u32('round', claims.round)
    .text('siloId', claims.siloId)
    .bytes('payloadSha256', claims.payloadSha256, SHA256_BYTES)
    .u64('receivedAtUnixMs', claims.receivedAtUnixMs)
    .digest();
}

// The enclave signs many receipts with one key; its fingerprint (the kid) is derived once per key.
const kids = new WeakMap<KeyObject, string>();

/** A compact JWS (EdDSA, typ cohort-receipt+jws, kid = the signing key's fingerprint) over the receipt digest. */
export async function signReceipt(privateKey: KeyObject, receipt: ReceiptClaims): Promise<string> {
  const digest = canonicalReceiptDigest(receipt);
  let kid = kids.get(privateKey);
  if (kid === undefined) {
    kid = identityFromPrivateKey(privateKey).fingerprint;
    kids.set(privateKey, kid);
  }
  return signCompactJws(privateKey, { typ: RECEIPT_JWS_TYPE, kid }, digest);
}

/** Resolves when `jws` is `publicKey`'s signature over exactly `expected`; throws `IdentityError` otherwise. */
export async function verifyReceipt(
  jws: string,
  publicKey: KeyObject,
  expected: ReceiptClaims,
): Promise<void> {
  await verifyStatementJws(jws, publicKey, RECEIPT_JWS_TYPE, canonicalReceiptDigest(expected));
}

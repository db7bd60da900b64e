// A silo's signed decision on a job offer, so the aggregator (and the audit trail on both sides) can prove
// which hospital accepted or declined which job, and why, whoever relayed the message.
//
// canonicalDecisionDigest = SHA-256( field("cohort/v1/decision") ‖ field(utf8 jobId) ‖ field(utf8 siloId)
//                                    ‖ u32be(round) ‖ u8(accept ? 1 : 0) ‖ field(utf8 reason) )
// round is 0 for the decision on the offer, else the round a silo declines (so a decline cannot be replayed).
// with field(b) = u32be(byte length of b) ‖ b (see canonical-encoding.ts). The JWS payload is these 32 bytes.
import type { KeyObject } from 'node:crypto';
import { CanonicalEncoder } from './canonical-encoding.js';
import { signCompactJws, verifyStatementJws } from './compact-jws.js';
import type { SiloIdentity } from './identity-key.js';

export const DECISION_JWS_TYPE = 'cohort-decision+jws';
const DECISION_TAG = 'cohort/v1/decision';

export interface DecisionClaims {
  jobId: string;
  siloId: string;
  /** 0 for the decision on a job offer; a round number when the silo declines that round. */
  round: number;
  accept: boolean;
  /** Why; may be empty. Signed byte for byte, so the verifier must pass exactly the text that was sent. */
  reason: string;
}

/** The 32-byte digest a decision signature covers; `CLAIMS_INVALID` when a claim is unusable. */
export function canonicalDecisionDigest(claims: DecisionClaims): Buffer {
  return new CanonicalEncoder(DECISION_TAG)
    .text('jobId', claims.jobId)
    .text('siloId', claims.siloId)
    .u32('round', claims.round)
    .bool('accept', claims.accept)
    .text('reason', claims.reason, { allowEmpty: true })
    .digest();
}

/** A compact JWS (EdDSA, typ cohort-decision+jws, kid = the silo's fingerprint) over the decision digest. */
export async function signDecision(
  identity: Pick<SiloIdentity, 'privateKey' | 'fingerprint'>,
  decision: DecisionClaims,
): Promise<string> {
  const digest = canonicalDecisionDigest(decision);
  return signCompactJws(identity.privateKey, { typ: DECISION_JWS_TYPE, kid: identity.fingerprint }, digest);
}

/** Resolves when `jws` is `publicKey`'s signature over exactly `expected`; throws `IdentityError` otherwise. */
export async function verifyDecision(
  jws: string,
  publicKey: KeyObject,
  expected: DecisionClaims,
): Promise<void> {
  await verifyStatementJws(jws, publicKey, DECISION_JWS_TYPE, canonicalDecisionDigest(expected));
}

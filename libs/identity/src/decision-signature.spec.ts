import {
  canonicalDecisionDigest,
  signDecision,
  verifyDecision,
  type DecisionClaims,
} from './decision-signature.js';
import { IdentityError } from './identity-error.js';
import { signReceipt } from './receipt-signature.js';
import { flipSignatureBit, randomIdentity, rfc8037Identity } from './testing/rfc8037.js';

const silo = rfc8037Identity();
const decision: DecisionClaims = { jobId: 'job-1', siloId: 'silo-a', round: 0, accept: true, reason: '' };

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    if (error instanceof IdentityError) return error.code;
    throw error;
  }
}

describe('canonicalDecisionDigest', () => {
  it('matches an independent implementation of the documented encoding', () => {
    // python3: sha256(f(b'cohort/v1/decision') + f(b'job-1') + f(b'silo-a') + struct.pack('>I', 0) + b'\x01' + f(b''))
    expect(canonicalDecisionDigest(decision).toString('hex')).toBe(
      '198ad25f81e475d1b11b27c7c07262faa258470dd0b20100005441fe3d7dabbc',
    );
  });

  it('binds the round: a decline of round 3 is not a decline of round 4', () => {
    const r3 = canonicalDecisionDigest({ ...decision, round: 3, accept: false });
    const r4 = canonicalDecisionDigest({ ...decision, round: 4, accept: false });
    expect(r3.equals(r4)).toBe(false);
  });

  it('keeps adjacent fields apart (length prefixes)', () => {
    const a = canonicalDecisionDigest({ ...decision, jobId: 'ab', siloId: 'c' });
    const b = canonicalDecisionDigest({ ...decision, jobId: 'a', siloId: 'bc' });
    expect(a.equals(b)).toBe(false);
  });

  it('refuses an accept flag that is not a boolean', () => {
    expect(() => canonicalDecisionDigest({ ...decision, accept: 1 as unknown as boolean })).toThrow(
      expect.objectContaining({ code: 'CLAIMS_INVALID' }),
    );
  });
});

describe('signDecision / verifyDecision', () => {
  const declined: DecisionClaims = {
    jobId: 'job-1',
    siloId: 'silo-a',
    round: 0,
    accept: false,
    reason: 'epsilon 8 exceeds the local limit of 3',
  };

  it('round-trips an acceptance and a refusal with a reason', async () => {
    await expect(
      verifyDecision(await signDecision(silo, decision), silo.publicKey, decision),
    ).resolves.toBeUndefined();
    await expect(
      verifyDecision(await signDecision(silo, declined), silo.publicKey, declined),
    ).resolves.toBeUndefined();
    const header = JSON.parse(
      Buffer.from((await signDecision(silo, declined)).split('.')[0], 'base64url').toString(),
    );
    expect(header).toEqual({ alg: 'EdDSA', typ: 'cohort-decision+jws', kid: silo.fingerprint });
  });

  it('refuses a forged signature and another silo as SIGNATURE_INVALID', async () => {
    const jws = await signDecision(silo, declined);
    expect(await codeOf(verifyDecision(flipSignatureBit(jws), silo.publicKey, declined))).toBe(
      'SIGNATURE_INVALID',
    );
    const other = await signDecision(randomIdentity(), declined);
    expect(await codeOf(verifyDecision(other, silo.publicKey, declined))).toBe('SIGNATURE_INVALID');
  });

  it.each<[string, Partial<DecisionClaims>]>([
    ['a flipped decision', { accept: true }],
    ['another reason', { reason: 'epsilon 8 exceeds the local limit of 9' }],
    ['another job', { jobId: 'job-2' }],
    ['another silo', { siloId: 'silo-b' }],
  ])('refuses a valid signature checked against %s as SIGNATURE_MISMATCH', async (_what, change) => {
    const jws = await signDecision(silo, declined);
    expect(await codeOf(verifyDecision(jws, silo.publicKey, { ...declined, ...change }))).toBe(
      'SIGNATURE_MISMATCH',
    );
  });

  it('refuses malformed input and a receipt passed off as a decision as SIGNATURE_MALFORMED', async () => {
    expect(await codeOf(verifyDecision('a.b', silo.publicKey, decision))).toBe('SIGNATURE_MALFORMED');
    const receipt = await signReceipt(silo.privateKey, {
      jobId: 'job-1',
      round: 0,
      siloId: 'silo-a',
      payloadSha256: Buffer.alloc(32),
      receivedAtUnixMs: 0,
    });
    expect(await codeOf(verifyDecision(receipt, silo.publicKey, decision))).toBe('SIGNATURE_MALFORMED');
  });
});

import { generateKeyPairSync } from 'node:crypto';
import { IdentityError } from './identity-error.js';
import { identityFromPrivateKey } from './identity-key.js';
import {
  canonicalReceiptDigest,
  signReceipt,
  verifyReceipt,
  type ReceiptClaims,
} from './receipt-signature.js';
import { signUpdate } from './update-signature.js';
import { flipSignatureBit, randomIdentity } from './testing/rfc8037.js';

const enclave = identityFromPrivateKey(generateKeyPairSync('ed25519').privateKey);
const receipt: ReceiptClaims = {
  jobId: 'job-1',
  round: 3,
  siloId: 'silo-a',
  payloadSha256: Buffer.alloc(32, 0xab),
  receivedAtUnixMs: 1_700_000_000_123,
};

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    if (error instanceof IdentityError) return error.code;
    throw error;
  }
}

describe('canonicalReceiptDigest', () => {
  it('matches an independent implementation of the documented encoding', () => {
    // python3: sha256(f(b'cohort/v1/receipt') + f(b'job-1') + struct.pack('>I', 3) + f(b'silo-a')
    //                 + f(bytes([0xab] * 32)) + struct.pack('>Q', 1700000000123))
    expect(canonicalReceiptDigest(receipt).toString('hex')).toBe(
      'bf54f99e0145e278144556bebd7628a05bef5e0ef368f75b3fd81b2c7163af34',
    );
  });

  it.each<[string, Partial<ReceiptClaims>]>([
    ['a negative time', { receivedAtUnixMs: -1 }],
    ['a time beyond 2^53', { receivedAtUnixMs: 2 ** 53 }],
    ['a fractional time', { receivedAtUnixMs: 1.5 }],
    ['a 33-byte payload hash', { payloadSha256: new Uint8Array(33) }],
  ])('refuses %s as CLAIMS_INVALID', (_what, change) => {
    expect(() => canonicalReceiptDigest({ ...receipt, ...change })).toThrow(
      expect.objectContaining({ code: 'CLAIMS_INVALID' }),
    );
  });
});

describe('signReceipt / verifyReceipt', () => {
  it("round-trips, naming the enclave key's fingerprint as kid", async () => {
    const jws = await signReceipt(enclave.privateKey, receipt);
    await expect(verifyReceipt(jws, enclave.publicKey, receipt)).resolves.toBeUndefined();
    const header = JSON.parse(Buffer.from(jws.split('.')[0], 'base64url').toString());
    expect(header).toEqual({ alg: 'EdDSA', typ: 'cohort-receipt+jws', kid: enclave.fingerprint });
  });

  it('refuses a forged receipt and one signed by another key as SIGNATURE_INVALID', async () => {
    const jws = await signReceipt(enclave.privateKey, receipt);
    expect(await codeOf(verifyReceipt(flipSignatureBit(jws), enclave.publicKey, receipt))).toBe(
      'SIGNATURE_INVALID',
    );
    const impostor = await signReceipt(randomIdentity().privateKey, receipt);
    expect(await codeOf(verifyReceipt(impostor, enclave.publicKey, receipt))).toBe('SIGNATURE_INVALID');
  });

  it.each<[string, Partial<ReceiptClaims>]>([
    ['another time', { receivedAtUnixMs: receipt.receivedAtUnixMs + 1 }],
    ['another round', { round: 2 }],
    ['another job', { jobId: 'job-2' }],
    ['another silo', { siloId: 'silo-b' }],
    ['another payload', { payloadSha256: Buffer.alloc(32, 0xac) }],
  ])('refuses a valid receipt checked against %s as SIGNATURE_MISMATCH', async (_what, change) => {
    const jws = await signReceipt(enclave.privateKey, receipt);
    expect(await codeOf(verifyReceipt(jws, enclave.publicKey, { ...receipt, ...change }))).toBe(
      'SIGNATURE_MISMATCH',
    );
  });

  it('refuses an update signature passed off as a receipt as SIGNATURE_MALFORMED', async () => {
    const update = await signUpdate(enclave, {
      ...receipt,
      nonce: Buffer.alloc(16),
      exampleCount: 1,
      sealing: '',
    });
    expect(await codeOf(verifyReceipt(update, enclave.publicKey, receipt))).toBe('SIGNATURE_MALFORMED');
    expect(await codeOf(verifyReceipt('x.y.z', enclave.publicKey, receipt))).toBe('SIGNATURE_MALFORMED');
  });

  it('refuses a signing key that is not an Ed25519 private key', async () => {
    expect(await codeOf(signReceipt(enclave.publicKey, receipt))).toBe('IDENTITY_KEY_INVALID');
  });
});

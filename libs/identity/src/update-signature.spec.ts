import { createHash } from 'node:crypto';
import { signDecision } from './decision-signature.js';
import { IdentityError } from './identity-error.js';
import { publicKeyFromRaw } from './identity-key.js';
import { randomIdentity, rfc8037Identity, flipSignatureBit } from './testing/rfc8037.js';
import { canonicalUpdateDigest, signUpdate, verifyUpdate, type UpdateClaims } from './update-signature.js';

const silo = rfc8037Identity();
const claims: UpdateClaims = {
  jobId: 'job-1',
  round: 3,
  siloId: 'silo-é',
  nonce: Buffer.from([...Array(16).keys()]),
  payloadSha256: Buffer.alloc(32, 0xab),
  exampleCount: 120,
  sealing: 'hpke-x25519-hkdfsha256-aes128gcm',
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

describe('canonicalUpdateDigest', () => {
  it('matches an independent implementation of the documented encoding', () => {
    // python3: f = lambda b: struct.pack('>I', len(b)) + b
    //   sha256(f(b'cohort/v1/update') + f(b'job-1') + struct.pack('>I', 3) + f('silo-é'.encode())
    //          + f(bytes(range(16))) + f(bytes([0xab] * 32)) + struct.pack('>I', 120)
    //          + f(b'hpke-x25519-hkdfsha256-aes128gcm'))
    expect(canonicalUpdateDigest(claims).toString('hex')).toBe(
      'a684fcf4985abc244cac1dc4fe1e6b90eb9c41c98038c00d65861adbd7e05578',
    );
  });

  it('reads only the viewed bytes of a Buffer slice', () => {
    const pool = Buffer.concat([Buffer.alloc(5, 0xff), claims.nonce, Buffer.alloc(5, 0xee)]);
    const sliced = { ...claims, nonce: pool.subarray(5, 21) };
    expect(canonicalUpdateDigest(sliced).equals(canonicalUpdateDigest(claims))).toBe(true);
  });

  it.each<[string, Partial<UpdateClaims>]>([
    ['an empty job id', { jobId: '' }],
    ['an empty silo id', { siloId: '' }],
    ['a lone surrogate in the job id', { jobId: 'job-\ud800' }],
    ['a negative round', { round: -1 }],
    ['a fractional round', { round: 1.5 }],
    ['a round beyond uint32', { round: 2 ** 32 }],
    ['a round that is NaN', { round: Number.NaN }],
    ['a 15-byte nonce', { nonce: new Uint8Array(15) }],
    ['an empty nonce', { nonce: new Uint8Array(0) }],
    ['a 31-byte payload hash', { payloadSha256: new Uint8Array(31) }],
    ['a payload hash given as hex text', { payloadSha256: 'ab'.repeat(32) as unknown as Uint8Array }],
  ])('refuses %s as CLAIMS_INVALID', (_what, change) => {
    expect(() => canonicalUpdateDigest({ ...claims, ...change })).toThrow(
      expect.objectContaining({ code: 'CLAIMS_INVALID' }),
    );
  });
});

describe('signUpdate / verifyUpdate', () => {
  it('round-trips, with the protected header the protocol names', async () => {
    const jws = await signUpdate(silo, claims);
    await expect(verifyUpdate(jws, silo.publicKey, claims)).resolves.toBeUndefined();

    const header = JSON.parse(Buffer.from(jws.split('.')[0], 'base64url').toString('utf8'));
    expect(header).toEqual({ alg: 'EdDSA', typ: 'cohort-update+jws', kid: silo.fingerprint });
    expect(Buffer.from(jws.split('.')[1], 'base64url').equals(canonicalUpdateDigest(claims))).toBe(true);
  });

  it('verifies under a key rebuilt from the 32 raw bytes sent at enrolment, with a fresh copy of the claims', async () => {
    const jws = await signUpdate(silo, claims);
    const copy: UpdateClaims = {
      ...claims,
      nonce: Uint8Array.from(claims.nonce),
      payloadSha256: Uint8Array.from(claims.payloadSha256),
    };
    await expect(verifyUpdate(jws, publicKeyFromRaw(silo.publicKeyRaw), copy)).resolves.toBeUndefined();
  });

  it('refuses a forged signature (one bit flipped) as SIGNATURE_INVALID', async () => {
    const jws = await signUpdate(silo, claims);
    expect(await codeOf(verifyUpdate(flipSignatureBit(jws), silo.publicKey, claims))).toBe(
      'SIGNATURE_INVALID',
    );
  });

  it("refuses an update signed with another silo's key as SIGNATURE_INVALID", async () => {
    const other = randomIdentity();
    const jws = await signUpdate(other, claims);
    expect(await codeOf(verifyUpdate(jws, silo.publicKey, claims))).toBe('SIGNATURE_INVALID');
    // …even when the other silo claims this silo's kid.
    const impostor = await signUpdate(
      { privateKey: other.privateKey, fingerprint: silo.fingerprint },
      claims,
    );
    expect(await codeOf(verifyUpdate(impostor, silo.publicKey, claims))).toBe('SIGNATURE_INVALID');
  });

  it.each<[string, Partial<UpdateClaims>]>([
    ['another job', { jobId: 'job-2' }],
    ['another round', { round: 4 }],
    ['another silo', { siloId: 'silo-b' }],
    ['another nonce (a replay into a later task)', { nonce: Buffer.alloc(16, 1) }],
    ['another payload', { payloadSha256: createHash('sha256').update('other ciphertext').digest() }],
    ['another example count', { exampleCount: 121 }],
    ['another sealing', { sealing: '' }],
  ])('refuses a valid signature checked against %s as SIGNATURE_MISMATCH', async (_what, change) => {
    const jws = await signUpdate(silo, claims);
    expect(await codeOf(verifyUpdate(jws, silo.publicKey, { ...claims, ...change }))).toBe(
      'SIGNATURE_MISMATCH',
    );
  });

  it.each([
    ['an empty string', ''],
    ['plain text', 'not a jws'],
    ['a JSON-serialised JWS', '{"payload":"","signatures":[]}'],
  ])('refuses %s as SIGNATURE_MALFORMED', async (_what, jws) => {
    expect(await codeOf(verifyUpdate(jws, silo.publicKey, claims))).toBe('SIGNATURE_MALFORMED');
  });

  it('refuses a signed decision presented as an update as SIGNATURE_MALFORMED', async () => {
    const decision = await signDecision(silo, {
      jobId: 'job-1',
      siloId: 'silo-é',
      round: 0,
      accept: true,
      reason: '',
    });
    expect(await codeOf(verifyUpdate(decision, silo.publicKey, claims))).toBe('SIGNATURE_MALFORMED');
  });

  it('binds a wire encoding other than float32, leaving float32 digests as they were', async () => {
    expect(canonicalUpdateDigest({ ...claims, wireEncoding: 'float32' })).toEqual(
      canonicalUpdateDigest(claims),
    );
    const int8 = canonicalUpdateDigest({ ...claims, wireEncoding: 'int8' });
    expect(int8).not.toEqual(canonicalUpdateDigest(claims));
    expect(int8).not.toEqual(canonicalUpdateDigest({ ...claims, wireEncoding: 'float16' }));
    const jws = await signUpdate(silo, { ...claims, wireEncoding: 'int8' });
    await expect(
      verifyUpdate(jws, silo.publicKey, { ...claims, wireEncoding: 'int8' }),
    ).resolves.toBeUndefined();
    // A header relabelled float16 (or stripped to float32) no longer matches what the silo signed.
    expect(await codeOf(verifyUpdate(jws, silo.publicKey, { ...claims, wireEncoding: 'float16' }))).toBe(
      'SIGNATURE_MISMATCH',
    );
    expect(await codeOf(verifyUpdate(jws, silo.publicKey, claims))).toBe('SIGNATURE_MISMATCH');
  });

  it('refuses to sign unusable claims', async () => {
    expect(await codeOf(signUpdate(silo, { ...claims, round: -1 }))).toBe('CLAIMS_INVALID');
  });
});

import { createHash, randomBytes } from 'node:crypto';
import {
  InsecureDevAuthority,
  assertKeyBinding,
  ed25519Jwk,
  insecureDevVerifier,
  x25519Jwk,
} from '@cohort/attestation';
import { publicKeyFromRaw, verifyReceipt } from '@cohort/identity';
import { WeightsEncoding, unpackFloat32 } from '@cohort/protocol';
import { createRandom } from '@cohort/model';
import { INT8_BLOCK, encodeUpdate, encodingName } from '@cohort/quantization';
import { seal, updateAad } from '@cohort/sealing';
import { EnclaveCore, EnclaveError, type Attester } from './enclave-core.js';

const MEASUREMENT = 'ab'.repeat(32);

async function enclaveWithAuthority(): Promise<{ core: EnclaveCore; authority: InsecureDevAuthority }> {
  const authority = await InsecureDevAuthority.ephemeral();
  const attester: Attester = {
    name: 'insecure-dev',
    insecureDev: true,
    issue: (e, aud) => authority.issue(e, aud),
  };
  return { core: await EnclaveCore.create(MEASUREMENT, attester), authority };
}

async function sealedUpdate(
  core: EnclaveCore,
  siloId: string,
  values: number[],
  round = 1,
  jobId = 'job',
  encoding = WeightsEncoding.WEIGHTS_ENCODING_FLOAT32,
  random = createRandom(1),
) {
  const sealed = await seal(
    core.describe().hpkePublicKey,
    encodeUpdate(Float32Array.from(values), encoding, random),
    // As a silo seals: the encoding is bound into the AAD (float32 leaves it out).
    updateAad({ jobId, round, siloId, wireEncoding: encodingName(encoding) }),
  );
  return {
    jobId,
    round,
    siloId,
    exampleCount: 1,
    sealed,
    payloadSha256: createHash('sha256').update(sealed).digest(),
    encoding,
  };
}

async function codeOf(p: Promise<unknown> | (() => unknown)): Promise<string | undefined> {
  try {
    await (typeof p === 'function' ? p() : p);
    return undefined;
  } catch (err) {
    return err instanceof EnclaveError ? err.code : `unexpected: ${(err as Error).message}`;
  }
}

describe('EnclaveCore', () => {
  it('opens sealed updates, releases only their weighted mean, and signs a receipt the silo can verify', async () => {
    const { core } = await enclaveWithAuthority();
    core.openRound('job', 1, 2);
    const a = await sealedUpdate(core, 'a', [1, 2]);
    const b = { ...(await sealedUpdate(core, 'b', [4, 8])), exampleCount: 2 };
    const ra = await core.addUpdate(a);
    await core.addUpdate(b);
    const signingKey = publicKeyFromRaw(core.describe().signingPublicKey);
    await verifyReceipt(ra.receipt, signingKey, {
      jobId: 'job',
      round: 1,
      siloId: 'a',
      payloadSha256: a.payloadSha256,
      receivedAtUnixMs: ra.receivedAtUnixMs,
    });
    const { aggregate: mean, updates } = core.release('job', 1);
    expect(updates).toBe(2);
    // (1·[1,2] + 2·[4,8]) / 3
    expect([...unpackFloat32(mean)]).toEqual([3, 6]);
    expect(await codeOf(() => core.release('job', 1))).toBe('ROUND_NOT_OPEN');
  });

  it('runs a float16 round: decodes each update after opening, and refuses another encoding or size', async () => {
    const { core } = await enclaveWithAuthority();
    const F16 = WeightsEncoding.WEIGHTS_ENCODING_FLOAT16;
    core.openRound('job', 1, 3, undefined, undefined, F16);
    await core.addUpdate(await sealedUpdate(core, 'a', [1, 1 / 3, -2], 1, 'job', F16));
    await core.addUpdate({
      ...(await sealedUpdate(core, 'b', [3, 0.5, 65504], 1, 'job', F16)),
      exampleCount: 3,
    });
    // In float32 the payload has the wrong encoding for the round.
    expect(await codeOf(core.addUpdate(await sealedUpdate(core, 'c', [1, 2, 3])))).toBe(
      'UPDATE_UNSUPPORTED_ENCODING',
    );
    // Relabelled float16 after sealing: the encoding is bound into the AAD, so it does not even open.
    const mislabelled = { ...(await sealedUpdate(core, 'd', [1, 2, 3])), encoding: F16 };
    expect(await codeOf(core.addUpdate(mislabelled))).toBe('UPDATE_OPEN_FAILED');
    // 65520 rounds to Infinity in binary16: refused as non-finite after decoding.
    expect(await codeOf(core.addUpdate(await sealedUpdate(core, 'e', [1, 65520, 0], 1, 'job', F16)))).toBe(
      'UPDATE_NON_FINITE',
    );
    const { aggregate, updates } = core.release('job', 1);
    expect(updates).toBe(2);
    // 1/3 is 0x3555 = 0.333251953125 in binary16; (1·a + 3·b) / 4 in float32.
    const want = [(1 + 9) / 4, (0.333251953125 + 1.5) / 4, (-2 + 3 * 65504) / 4].map(Math.fround);
    expect([...unpackFloat32(aggregate)]).toEqual(want);
  });

  it('runs an int8 round: the mean of stochastic updates is within scale/127 per value, and unbiased', async () => {
    const { core } = await enclaveWithAuthority();
    const I8 = WeightsEncoding.WEIGHTS_ENCODING_INT8_STOCHASTIC;
    const p = INT8_BLOCK + 10;
    const random = createRandom(5);
    const truth = Array.from({ length: p }, () => random() * 2 - 1);
    const silos = 40;
    core.openRound('job', 1, p, undefined, undefined, I8);
    for (let s = 0; s < silos; s++) {
      await core.addUpdate(await sealedUpdate(core, `s${s}`, truth, 1, 'job', I8, random));
    }
    const bad = await sealedUpdate(core, 'x', truth, 1, 'job', WeightsEncoding.WEIGHTS_ENCODING_FLOAT16);
    expect(await codeOf(core.addUpdate({ ...bad, encoding: I8 }))).toBe('UPDATE_OPEN_FAILED');
    const mean = unpackFloat32(core.release('job', 1).aggregate);
    const scale = Math.max(...truth.map(Math.abs));
    let bias = 0;
    for (let i = 0; i < p; i++) {
      expect(Math.abs(mean[i] - truth[i])).toBeLessThanOrEqual(scale / 127 + 1e-6);
      bias += mean[i] - truth[i];
    }
    // Independent rounding errors of at most scale/127 each average out: the mean error over p·silos
    // roundings has a standard deviation below 0.5·scale/127/√(p·silos); 8 of those cannot be hit by chance.
    expect(Math.abs(bias / p)).toBeLessThan((8 * 0.5 * scale) / 127 / Math.sqrt(p * silos));
  });

  it('refuses a replay, a tampered ciphertext, a wrong size, a wrong digest, non-finite values and closed rounds', async () => {
    const { core } = await enclaveWithAuthority();
    core.openRound('job', 1, 2);
    const good = await sealedUpdate(core, 'a', [1, 2]);
    await core.addUpdate(good);
    expect(await codeOf(core.addUpdate(good))).toBe('UPDATE_DUPLICATE');

    const tampered = await sealedUpdate(core, 'b', [1, 2]);
    tampered.sealed[40] ^= 1;
    tampered.payloadSha256 = createHash('sha256').update(tampered.sealed).digest();
    expect(await codeOf(core.addUpdate(tampered))).toBe('UPDATE_OPEN_FAILED');

    // Sealed for another silo: the AAD binds job, round and silo.
    const stolen = { ...(await sealedUpdate(core, 'c', [1, 2])), siloId: 'd' };
    expect(await codeOf(core.addUpdate(stolen))).toBe('UPDATE_OPEN_FAILED');

    expect(await codeOf(core.addUpdate(await sealedUpdate(core, 'e', [1, 2, 3])))).toBe(
      'UPDATE_SIZE_MISMATCH',
    );
    expect(await codeOf(core.addUpdate(await sealedUpdate(core, 'f', [1, Number.NaN])))).toBe(
      'UPDATE_NON_FINITE',
    );
    const digest = { ...(await sealedUpdate(core, 'g', [1, 2])), payloadSha256: randomBytes(32) };
    expect(await codeOf(core.addUpdate(digest))).toBe('UPDATE_DIGEST_MISMATCH');
    expect(await codeOf(core.addUpdate(await sealedUpdate(core, 'h', [1, 2], 2)))).toBe('ROUND_NOT_OPEN');

    // None of the refused updates counted.
    expect([...unpackFloat32(core.release('job', 1).aggregate)]).toEqual([1, 2]);
  });

  it('attests its measurement and binds both of its public keys to the silo’s nonce', async () => {
    const { core, authority } = await enclaveWithAuthority();
    const nonce = randomBytes(32);
    const token = await core.attest(nonce, 'cohort-federation');
    const verified = await insecureDevVerifier(authority.jwks()).verify(token, {
      audience: 'cohort-federation',
      allowedMeasurements: [MEASUREMENT],
      allowDebug: true,
      expectedNonce: nonce,
    });
    expect(verified.measurement).toBe(MEASUREMENT);
    expect(verified.insecureDev).toBe(true);
    await assertKeyBinding(verified, x25519Jwk(core.describe().hpkePublicKey));
    await assertKeyBinding(verified, ed25519Jwk(core.describe().signingPublicKey), 'signing');
    expect(await codeOf(core.attest(new Uint8Array(4), 'cohort-federation'))).toBe(
      'ATTESTATION_NONCE_INVALID',
    );
  });

  it('under DP sums updates without weights, clips each at silo level, and noises the sum in central mode', async () => {
    const { core } = await enclaveWithAuthority();
    core.openRound('job', 1, 2, { level: 'silo', mode: 'local', clipNorm: 1, noiseStd: 0 });
    await core.addUpdate({ ...(await sealedUpdate(core, 'a', [3, 4])), exampleCount: 1000 });
    await core.addUpdate(await sealedUpdate(core, 'b', [0.3, 0.4]));
    // [3,4] is clipped to [0.6,0.8]; counts do not weigh; local mode adds no noise.
    expect(
      [...unpackFloat32(core.release('job', 1).aggregate)].map((v) => Math.round(v * 1e5) / 1e5),
    ).toEqual([0.9, 1.2]);

    core.openRound('job', 2, 20_000, { level: 'patient', mode: 'central', clipNorm: 1, noiseStd: 3 });
    await core.addUpdate(await sealedUpdate(core, 'a', new Array<number>(20_000).fill(1), 2));
    const noised = unpackFloat32(core.release('job', 2).aggregate);
    const mean = noised.reduce((a, v) => a + v, 0) / noised.length;
    const sd = Math.sqrt(noised.reduce((a, v) => a + (v - mean) ** 2, 0) / noised.length);
    expect(Math.abs(mean - 1)).toBeLessThan(0.1);
    expect(Math.abs(sd - 3)).toBeLessThan(0.1);
  });

  it('runs a robust rule on the held updates and releases only the centre and per-silo scores', async () => {
    const { core } = await enclaveWithAuthority();
    core.openRound('job', 1, 2, undefined, { name: 'median', params: {} });
    for (const [silo, values] of [
      ['a', [1, 1]],
      ['b', [2, 2]],
      ['c', [3, 3]],
      ['evil', [-100, 100]],
    ] as const) {
      await core.addUpdate(await sealedUpdate(core, silo, [...values]));
    }
    const { aggregate, scores } = core.release('job', 1);
    // Coordinate-wise median of equal-weight updates: the attacker moves neither coordinate far.
    expect([...unpackFloat32(aggregate)]).toEqual([1.5, 2.5]);
    expect(scores.map((s) => s.siloId).sort()).toEqual(['a', 'b', 'c', 'evil']);
    expect(scores.find((s) => s.siloId === 'evil')?.flagged).toBe(true);
    expect(scores.filter((s) => s.flagged)).toHaveLength(1);
  });

  it('scores FedAvg rounds from sketches of the updates as they stream in (exact for small models), not under DP', async () => {
    const { core } = await enclaveWithAuthority();
    core.openRound('job', 1, 2, undefined, { name: 'fedavg', params: {} });
    for (const [silo, values] of [
      ['a', [1, 1]],
      ['b', [1, 2]],
      ['c', [2, 1]],
      ['evil', [-40, 40]],
    ] as const) {
      await core.addUpdate(await sealedUpdate(core, silo, [...values]));
    }
    const { aggregate, scores } = core.release('job', 1);
    expect([...unpackFloat32(aggregate)]).toEqual([-9, 11]);
    const evil = scores.find((s) => s.siloId === 'evil')!;
    // Centre (−9, 11): evil is at distance √(31² + 29²), norm √3200, cosine (360 + 440)/(√3200·√202).
    expect(evil.distance).toBeCloseTo(Math.hypot(31, 29), 4);
    expect(evil.norm).toBeCloseTo(Math.sqrt(3200), 4);
    expect(evil.cosine).toBeCloseTo(800 / (Math.sqrt(3200) * Math.sqrt(202)), 4);
    expect(scores.filter((s) => s.flagged).map((s) => s.siloId)).toEqual(['evil']);

    core.openRound('job', 2, 2, { level: 'silo', mode: 'local', clipNorm: 1, noiseStd: 0 });
    await core.addUpdate(await sealedUpdate(core, 'a', [1, 1], 2));
    expect(core.release('job', 2).scores).toEqual([]);
  });

  it('streams norm bounding like FedAvg: each update projected to the radius as it arrives', async () => {
    const { core } = await enclaveWithAuthority();
    core.openRound('job', 1, 2, undefined, { name: 'norm-bounding', params: { radius: 1 } });
    await core.addUpdate(await sealedUpdate(core, 'a', [3, 4]));
    await core.addUpdate(await sealedUpdate(core, 'b', [0.3, 0.4]));
    // [3, 4] is projected to [0.6, 0.8]; equal weights: the mean of [0.6, 0.8] and [0.3, 0.4].
    const { aggregate, scores } = core.release('job', 1);
    expect([...unpackFloat32(aggregate)].map((v) => Math.round(v * 1e6) / 1e6)).toEqual([0.45, 0.6]);
    expect(scores.map((s) => s.siloId).sort()).toEqual(['a', 'b']);
    expect(scores.find((s) => s.siloId === 'a')?.norm).toBeCloseTo(5, 5);
  });

  it('describes no private key material', async () => {
    const { core } = await enclaveWithAuthority();
    const d = core.describe();
    expect(Object.keys(d).sort()).toEqual(
      [
        'component',
        'hpkePublicKey',
        'insecureDev',
        'measurement',
        'sealing',
        'signingPublicKey',
        'verifier',
      ].sort(),
    );
    expect(d.hpkePublicKey).toHaveLength(32);
    expect(d.signingPublicKey).toHaveLength(32);
  });
});

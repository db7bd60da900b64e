import { createRandom } from '@cohort/model';
import { planDistributedDp, survivorsNoise } from './distributed-dp.js';
import { decodeSum, encodeInput, type InputCodec } from './input-codec.js';
import { quantizationScale } from './quantize.js';

function add(a: Uint32Array, b: Uint32Array, bits: number): Uint32Array {
  const m = bits === 32 ? 0xffffffff : 2 ** bits - 1;
  return a.map((v, i) => (v + b[i]) & m);
}

describe('secure-aggregation input codec', () => {
  it('the decoded sum over the summed weight is FedAvg, up to the quantizer step', () => {
    const bits = 32;
    const codec: InputCodec = {
      bits,
      scale: quantizationScale({ bits, silos: 3, clipRange: 8 }),
      clipRange: 8,
      maxWeight: 1000,
      clipNorm: 0,
      noiseMu: 0,
    };
    const updates = [
      Float32Array.from([0.5, -1.25, 3]),
      Float32Array.from([0.1, 0.2, -0.3]),
      Float32Array.from([-2, 7, 0]),
    ];
    const counts = [100, 300, 50];
    const random = createRandom(4);
    let sum: Uint32Array = new Uint32Array(4);
    updates.forEach((u, i) => (sum = add(sum, encodeInput(u, counts[i], codec, random), bits)));
    const { sum: s, weight } = decodeSum(sum, codec);
    expect(weight).toBeCloseTo(0.45, 6);
    // FedAvg by hand: Σ nᵢxᵢ / Σ nᵢ.
    const fedavg = [0, 1, 2].map((j) => updates.reduce((a, u, i) => a + counts[i] * u[j], 0) / 450);
    for (let j = 0; j < 3; j++) expect(s[j] / weight).toBeCloseTo(fedavg[j], 6);
  });

  it('under DP clips to the norm, weighs silos equally and adds noise of the planned variance', () => {
    const bits = 32;
    const plan = planDistributedDp({ bits, silos: 4, clipNorm: 1, noiseMultiplier: 1, dimension: 20_001 });
    const codec: InputCodec = {
      bits,
      scale: plan.scale,
      clipRange: 1,
      maxWeight: 1,
      clipNorm: 1,
      noiseMu: plan.muPerSilo,
    };
    const random = createRandom(9);
    const zero = new Float32Array(20_000);
    let sum: Uint32Array = new Uint32Array(20_001);
    for (let s = 0; s < 4; s++) sum = add(sum, encodeInput(zero, 10, codec, random), bits);
    const { sum: noisy, weight } = decodeSum(sum, codec);
    expect(weight).toBeCloseTo(4, 3);
    let sq = 0;
    for (const v of noisy) sq += v * v;
    // Four silos' noise: σ = noiseMultiplier · Δ₂ / scale in model units, ≈ clipNorm.
    const std = Math.sqrt(sq / noisy.length);
    expect(std).toBeGreaterThan(0.97 * (plan.l2 / plan.scale));
    expect(std).toBeLessThan(1.03 * (plan.l2 / plan.scale));
    const big = Float32Array.from({ length: 20_000 }, () => 1);
    const clipped = decodeSum(encodeInput(big, 1, { ...codec, noiseMu: 0 }, random), codec).sum;
    expect(Math.hypot(...clipped)).toBeCloseTo(1, 2);
  });

  it("plans a scale whose worst-case noised sum stays below 2^(bits−1), and charges the survivors' noise", () => {
    const plan = planDistributedDp({
      bits: 24,
      silos: 10,
      clipNorm: 2,
      noiseMultiplier: 1.2,
      dimension: 1001,
    });
    expect(10 * (plan.scale * 2 + 1) + plan.noiseBound).toBeLessThanOrEqual(2 ** 23 - 1 + 1e-6);
    expect(survivorsNoise(plan, 10).noiseMultiplier).toBeCloseTo(1.2, 9);
    expect(survivorsNoise(plan, 5).noiseMultiplier).toBeCloseTo(1.2 * Math.sqrt(0.5), 9);
    expect(() =>
      planDistributedDp({ bits: 16, silos: 10, clipNorm: 1, noiseMultiplier: 50, dimension: 1e6 }),
    ).toThrow();
  });
});

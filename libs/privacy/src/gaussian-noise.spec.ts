import { addGaussianNoise, clipToNorm } from './gaussian-noise.js';

describe('addGaussianNoise', () => {
  it('adds zero-mean noise with the requested standard deviation (200k draws)', () => {
    const n = 200_000;
    const base = new Float32Array(n).fill(5);
    const noised = addGaussianNoise(base, 2);
    let sum = 0;
    let sq = 0;
    for (const v of noised) {
      sum += v - 5;
      sq += (v - 5) ** 2;
    }
    const mean = sum / n;
    const sd = Math.sqrt(sq / n - mean ** 2);
    // Standard errors: mean 2/√n ≈ 0.0045, sd ≈ 2/√(2n) ≈ 0.0032; 5 of them.
    expect(Math.abs(mean)).toBeLessThan(0.025);
    expect(Math.abs(sd - 2)).toBeLessThan(0.016);
    // About 68.3% within one standard deviation, as for a normal distribution.
    const within = noised.filter((v) => Math.abs(v - 5) < 2).length / n;
    expect(Math.abs(within - 0.6827)).toBeLessThan(0.01);
    expect(base[0]).toBe(5);
  });

  it('differs between calls (no seed: unpredictable) and is the identity at stddev 0', () => {
    const a = addGaussianNoise(new Float32Array(4), 1);
    const b = addGaussianNoise(new Float32Array(4), 1);
    expect([...a]).not.toEqual([...b]);
    expect([...addGaussianNoise(Float32Array.of(1, 2, 3), 0)]).toEqual([1, 2, 3]);
    expect(() => addGaussianNoise(new Float32Array(1), -1)).toThrow(/≥ 0/);
  });
});

describe('clipToNorm', () => {
  it('scales a long vector to the clip norm and leaves a short one alone', () => {
    const { clipped, norm } = clipToNorm(Float32Array.of(3, 4), 1);
    expect(norm).toBe(5);
    expect([...clipped].map((v) => Math.round(v * 1e6) / 1e6)).toEqual([0.6, 0.8]);
    expect(
      [...clipToNorm(Float32Array.of(0.3, 0.4), 1).clipped].map((v) => Math.round(v * 1e6) / 1e6),
    ).toEqual([0.3, 0.4]);
  });
});

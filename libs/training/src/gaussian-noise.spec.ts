import { addGaussianNoise } from './gaussian-noise.js';

/** The noise alone: what addGaussianNoise added to a vector of zeros. */
function noise(n: number, stddev: number, seed?: number): Float64Array {
  return Float64Array.from(addGaussianNoise(new Float32Array(n), stddev, seed));
}

describe('addGaussianNoise', () => {
  const n = 200_000;
  const sigma = 2.5;

  // Five standard errors throughout: a correct sampler fails one of these about once in a million runs.
  it.each([
    ['seeded', 7],
    ['from the OS CSPRNG', undefined],
  ])(
    'draws N(0, σ²) noise (%s): mean, variance, mass within 1σ, no correlation within pairs',
    (_name, seed) => {
      const z = noise(n, sigma, seed);
      const mean = z.reduce((s, v) => s + v, 0) / n;
      const variance = z.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1);
      expect(Math.abs(mean)).toBeLessThan(5 * (sigma / Math.sqrt(n)));
      expect(Math.abs(variance - sigma ** 2)).toBeLessThan(5 * sigma ** 2 * Math.sqrt(2 / (n - 1)));
      const inside = z.filter((v) => Math.abs(v) < sigma).length / n;
      const p = 0.6826894921370859;
      expect(Math.abs(inside - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / n));
      // Box–Muller makes values two at a time; the two of a pair must be independent.
      let cross = 0;
      for (let i = 0; i + 1 < n; i += 2) cross += z[i] * z[i + 1];
      const correlation = cross / (n / 2) / sigma ** 2;
      expect(Math.abs(correlation)).toBeLessThan(5 / Math.sqrt(n / 2));
    },
  );

  it('adds the noise to the input, leaving the input untouched', () => {
    const sum = Float32Array.from([1, -2, 3, 1000, -1000]);
    const copy = Float32Array.from(sum);
    const noised = addGaussianNoise(sum, 0.5, 1);
    expect(Array.from(sum)).toEqual(Array.from(copy));
    const pure = noise(5, 0.5, 1);
    noised.forEach((v, i) => expect(v).toBeCloseTo(Math.fround(sum[i] + pure[i]), 3));
  });

  it('replays exactly for a seed, differs across seeds and across unseeded calls', () => {
    expect(Array.from(noise(1001, 1, 5))).toEqual(Array.from(noise(1001, 1, 5)));
    expect(Array.from(noise(1001, 1, 6))).not.toEqual(Array.from(noise(1001, 1, 5)));
    expect(Array.from(noise(1001, 1))).not.toEqual(Array.from(noise(1001, 1)));
  });

  it('noises every coordinate of long and odd-length vectors (across its internal blocks)', () => {
    const z = noise((1 << 16) * 2 + 3, 1, 9);
    expect(z.every((v) => Number.isFinite(v) && v !== 0)).toBe(true);
    // Blocks draw fresh bytes: the start of the second block is not a copy of the first.
    expect(Array.from(z.subarray(1 << 16, (1 << 16) + 8))).not.toEqual(Array.from(z.subarray(0, 8)));
  });

  it('with stddev 0 returns an exact copy', () => {
    const sum = Float32Array.from([0.1, 0.2]);
    const out = addGaussianNoise(sum, 0);
    expect(out).not.toBe(sum);
    expect(Array.from(out)).toEqual(Array.from(sum));
  });

  it('refuses a negative or non-finite stddev and a non-integer seed', () => {
    for (const stddev of [-1, NaN, Infinity]) {
      expect(() => addGaussianNoise(new Float32Array(2), stddev)).toThrow(
        /stddev must be a non-negative number/,
      );
    }
    expect(() => addGaussianNoise(new Float32Array(2), 1, 0.5)).toThrow(/seed must be an integer/);
  });
});

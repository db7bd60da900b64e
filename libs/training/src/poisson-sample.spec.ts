import { poissonSample } from './poisson-sample.js';

describe('poissonSample', () => {
  it('returns distinct ascending indices in range, the same ones for the same seed', () => {
    const a = poissonSample(1000, 0.3, 42);
    for (let i = 1; i < a.length; i++) expect(a[i]).toBeGreaterThan(a[i - 1]);
    expect(a[a.length - 1]).toBeLessThan(1000);
    expect(Array.from(poissonSample(1000, 0.3, 42))).toEqual(Array.from(a));
    expect(Array.from(poissonSample(1000, 0.3, 43))).not.toEqual(Array.from(a));
  });

  it('keeps every record at q = 1 and handles an empty dataset', () => {
    expect(Array.from(poissonSample(5, 1, 7))).toEqual([0, 1, 2, 3, 4]);
    expect(poissonSample(0, 0.5, 7).length).toBe(0);
  });

  it('includes each record with probability q, independently of its position', () => {
    const n = 200;
    const q = 0.05;
    const seeds = 2000;
    const hits = new Float64Array(n);
    for (let seed = 0; seed < seeds; seed++) for (const i of poissonSample(n, q, seed)) hits[i]++;
    // Each record's count is Binomial(seeds, q); the halves of the dataset must not differ beyond chance.
    const half = (from: number) => hits.slice(from, from + n / 2).reduce((s, v) => s + v, 0);
    const perHalfSd = Math.sqrt((seeds * n * q * (1 - q)) / 2);
    expect(Math.abs(half(0) - (seeds * q * n) / 2)).toBeLessThan(4 * perHalfSd);
    expect(Math.abs(half(n / 2) - (seeds * q * n) / 2)).toBeLessThan(4 * perHalfSd);
    // No record is systematically left out or favoured (a count 6 sd off would be a broken generator).
    const sd = Math.sqrt(seeds * q * (1 - q));
    for (const count of hits) expect(Math.abs(count - seeds * q)).toBeLessThan(6 * sd);
  });

  it('refuses a rate outside (0, 1] and a bad count', () => {
    for (const q of [0, -0.5, 1.01, NaN, Infinity]) {
      expect(() => poissonSample(10, q, 1)).toThrow(/samplingRate must be in \(0, 1\]/);
    }
    expect(() => poissonSample(-1, 0.5, 1)).toThrow(/non-negative integer/);
  });
});

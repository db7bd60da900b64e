import { createRandom, deriveSeed, shuffledIndices, xoshiro128StarStar } from './random.js';

describe('xoshiro128StarStar', () => {
  it('matches the reference C implementation (state 1, 2, 3, 4)', () => {
    const next = xoshiro128StarStar(1, 2, 3, 4);
    const outputs = Array.from({ length: 8 }, () => next());
    expect(outputs).toEqual([11520, 0, 5927040, 70819200, 2031721883, 1637235492, 1287239034, 3734860849]);
  });
});

describe('createRandom', () => {
  it('replays the same stream for the same seed and a different one for another seed', () => {
    const a = createRandom(42);
    const b = createRandom(42);
    const c = createRandom(43);
    const sa = Array.from({ length: 5 }, () => a());
    expect(Array.from({ length: 5 }, () => b())).toEqual(sa);
    expect(Array.from({ length: 5 }, () => c())).not.toEqual(sa);
  });

  it('uses the high bits of a large seed', () => {
    expect(createRandom(1)()).not.toBe(createRandom(2 ** 32 + 1)());
  });

  it('draws roughly uniform floats in [0, 1)', () => {
    const random = createRandom(7);
    const n = 100_000;
    const counts = new Array<number>(10).fill(0);
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const u = random();
      expect(u >= 0 && u < 1).toBe(true);
      counts[Math.floor(u * 10)]++;
      sum += u;
    }
    expect(Math.abs(sum / n - 0.5)).toBeLessThan(0.01);
    // Each decile holds 10% ± 1% (about 10 standard deviations).
    for (const count of counts) expect(Math.abs(count / n - 0.1)).toBeLessThan(0.01);
  });

  it('refuses a seed that is not an integer', () => {
    expect(() => createRandom(1.5)).toThrow(/seed must be a safe integer/);
    expect(() => createRandom(Number.NaN)).toThrow(/seed must be a safe integer/);
  });
});

describe('deriveSeed', () => {
  it('is deterministic and separates sub-streams', () => {
    expect(deriveSeed(5, 1)).toBe(deriveSeed(5, 1));
    const seeds = new Set<number>();
    for (let seed = 0; seed < 30; seed++)
      for (let part = 0; part < 30; part++) seeds.add(deriveSeed(seed, part));
    seeds.add(deriveSeed(5, 1, 0));
    seeds.add(deriveSeed(5, 0, 1));
    expect(seeds.size).toBe(902);
  });
});

describe('shuffledIndices', () => {
  it('returns a permutation', () => {
    const p = shuffledIndices(1000, createRandom(3));
    expect([...p].sort((x, y) => x - y)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect([...p]).not.toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });

  it('puts each element in each position about equally often', () => {
    const random = createRandom(11);
    const counts = Array.from({ length: 3 }, () => [0, 0, 0]);
    const trials = 30_000;
    for (let t = 0; t < trials; t++) {
      const p = shuffledIndices(3, random);
      for (let pos = 0; pos < 3; pos++) counts[pos][p[pos]]++;
    }
    for (const row of counts) for (const c of row) expect(Math.abs(c / trials - 1 / 3)).toBeLessThan(0.02);
  });
});

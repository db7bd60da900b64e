import { mulberry32 } from './prng.js';
import { dirichletPartition, iidPartition, sampleDirichlet, sampleGamma } from './partition.js';

function expectExactCover(parts: number[][], rows: number): void {
  const all = parts.flat().sort((a, b) => a - b);
  expect(all).toEqual(Array.from({ length: rows }, (_, i) => i));
}

describe('iidPartition', () => {
  it('deals every row to exactly one silo, sizes within one of each other, the same for the same seed', () => {
    const parts = iidPartition(103, 10, 7);
    expectExactCover(parts, 103);
    const sizes = parts.map((p) => p.length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    expect(iidPartition(103, 10, 7)).toEqual(parts);
    expect(iidPartition(103, 10, 8)).not.toEqual(parts);
  });

  it('refuses more silos than rows', () => {
    expect(() => iidPartition(3, 4, 1)).toThrow('3 rows cannot give each of 4 silos');
  });
});

describe('sampleGamma', () => {
  // Gamma(k, 1) has mean k and variance k.
  it.each([0.3, 1, 2.5, 9])('matches the mean and variance of Gamma(%p, 1)', (shape) => {
    const random = mulberry32(11);
    const n = 40_000;
    const xs = Array.from({ length: n }, () => sampleGamma(shape, random));
    const mean = xs.reduce((a, b) => a + b, 0) / n;
    const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1);
    expect(xs.every((x) => x > 0)).toBe(true);
    // Standard errors: sqrt(k/n) for the mean; the variance's is larger, hence the looser bound.
    expect(Math.abs(mean - shape)).toBeLessThan(5 * Math.sqrt(shape / n));
    expect(Math.abs(variance - shape) / shape).toBeLessThan(0.08);
  });
});

describe('sampleDirichlet', () => {
  it('sums to one with the symmetric Dirichlet moments: mean 1/k, variance (k-1)/(k^2 (k alpha + 1))', () => {
    const random = mulberry32(3);
    const k = 5;
    const alpha = 0.5;
    const n = 20_000;
    const first: number[] = [];
    let worstSum = 0;
    for (let i = 0; i < n; i++) {
      const d = sampleDirichlet(k, alpha, random);
      worstSum = Math.max(worstSum, Math.abs(d.reduce((a, b) => a + b, 0) - 1));
      first.push(d[0]);
    }
    expect(worstSum).toBeLessThan(1e-12);
    const mean = first.reduce((a, b) => a + b, 0) / n;
    const variance = first.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1);
    expect(mean).toBeCloseTo(1 / k, 2);
    expect(variance).toBeCloseTo((k - 1) / (k * k * (k * alpha + 1)), 3);
  });
});

describe('dirichletPartition', () => {
  const labels = Array.from({ length: 2000 }, (_, i) => i % 4);

  /** The share of a silo's rows that belong to its most common class, averaged over silos. */
  function skew(parts: number[][]): number {
    const shares = parts.map((p) => {
      const counts = [0, 0, 0, 0];
      for (const row of p) counts[labels[row]]++;
      return Math.max(...counts) / p.length;
    });
    return shares.reduce((a, b) => a + b, 0) / shares.length;
  }

  it('covers every row once; small alpha concentrates classes, large alpha approaches IID', () => {
    const skewed = dirichletPartition(labels, 10, 0.1, 1);
    const mixed = dirichletPartition(labels, 10, 1000, 1);
    expectExactCover(skewed, labels.length);
    expectExactCover(mixed, labels.length);
    expect(skewed.every((p) => p.length >= 1)).toBe(true);
    // Four balanced classes: IID gives each silo's top class about a quarter of its rows.
    expect(skew(skewed)).toBeGreaterThan(0.6);
    expect(skew(mixed)).toBeLessThan(0.3);
    expect(dirichletPartition(labels, 10, 0.1, 1)).toEqual(skewed);
  });

  it('redraws until every silo has its minimum, and says so when it cannot', () => {
    const parts = dirichletPartition(labels, 20, 0.5, 2, 20);
    expect(parts.every((p) => p.length >= 20)).toBe(true);
    expect(() => dirichletPartition(labels.slice(0, 30), 20, 0.01, 2, 1)).toThrow('no Dirichlet(0.01) split');
    expect(() => dirichletPartition(labels, 3, 0, 1)).toThrow('alpha must be positive');
  });
});

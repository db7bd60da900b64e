import { withJsKernels } from './kernels.js';
import { trimmedMean } from './trimmed-mean.js';
import type { SiloUpdate } from './updates.js';

const f32 = (...xs: number[]) => Float32Array.from(xs);
const scalars = (values: number[], weights: number[] = values.map(() => 1)): SiloUpdate[] =>
  values.map((v, i) => ({ delta: f32(v), weight: weights[i] }));

/** The definition by a plain sort: each value's stretch of the weight line, clipped to [βW, (1 − β)W]. */
function referenceTrimmedMean(deltas: Float32Array[], weights: number[], beta: number): number[] {
  const total = weights.reduce((a, b) => a + b, 0);
  const [lower, upper] = [beta * total, (1 - beta) * total];
  return Array.from(deltas[0], (_, k) => {
    const order = deltas.map((_, i) => i).sort((a, b) => deltas[a][k] - deltas[b][k]);
    let before = 0;
    let sum = 0;
    for (const i of order) {
      const after = before + weights[i];
      sum += Math.max(0, Math.min(after, upper) - Math.max(before, lower)) * deltas[i][k];
      before = after;
    }
    return sum / (upper - lower);
  });
}

describe('trimmedMean', () => {
  it('drops whole values when βN is whole, and parts of the values at the cuts otherwise (hand-computed)', () => {
    const values = [1, 2, 3, 4, 100];
    // β = 0.2 of 5: drop 1 and 100, mean of 2, 3, 4.
    expect(trimmedMean(scalars(values), { beta: 0.2 })[0]).toBe(3);
    // β = 0.1: keep [0.5, 4.5] of the line — half of 1 and half of 100: (0.5 + 2 + 3 + 4 + 50) / 4 = 14.875
    expect(trimmedMean(scalars(values), { beta: 0.1 })[0]).toBe(14.875);
    // β = 0: the plain mean, 110 / 5.
    expect(trimmedMean(scalars(values), { beta: 0 })[0]).toBe(22);
    // β = 0.25 of [1, 2, 3, 10]: drop one each side, 2.5; β = 0.1: (0.6 + 2 + 3 + 6) / 3.2 = 3.625
    expect(trimmedMean(scalars([1, 2, 3, 10]), { beta: 0.25 })[0]).toBe(2.5);
    expect(trimmedMean(scalars([1, 2, 3, 10]), { beta: 0.1 })[0]).toBe(3.625);
  });

  it('cuts by weight, not by count (hand-computed)', () => {
    // Weights 2, 1, 1 of 4, β = 0.25: keep [1, 3]: value 0 covers [0, 2] → 1 kept; 10 covers [2, 3] → 1 kept.
    // (0·1 + 10·1) / 2 = 5
    expect(trimmedMean(scalars([0, 10, 20], [2, 1, 1]), { beta: 0.25, maxWeightShare: 1 })[0]).toBe(5);
  });

  it('caps each site at β by default, so an extreme site is cut out whole', () => {
    // Five sites, β = 0.2: the huge site is capped to 0.2 of the weight, exactly what each tail drops.
    const out = trimmedMean(scalars([1, 2, 3, 4, 1e6], [10, 10, 10, 10, 1e9]), { beta: 0.2 })[0];
    expect(out).toBe(3);
    // With a looser cap the same site keeps part of its pull.
    expect(
      trimmedMean(scalars([1, 2, 3, 4, 1e6], [10, 10, 10, 10, 1e9]), { beta: 0.2, maxWeightShare: 1 / 3 })[0],
    ).toBeGreaterThan(1000);
  });

  it.each([
    ['the default machine', <T>(fn: () => T) => fn()],
    ['the JavaScript kernels', withJsKernels],
  ])('with %s, matches the sort-based definition on random rounds', (_, run) => {
    let seed = 9;
    const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    for (const [n, length, beta] of [
      [5, 40, 0.1],
      [10, 17, 0.3],
      [64, 8, 0.45],
      [3, 5, 0],
    ]) {
      const counts = Array.from({ length: n }, () => 1 + Math.floor(random() * 9));
      const deltas = Array.from({ length: n }, () =>
        Float32Array.from({ length }, () => (random() - 0.5) * 8),
      );
      const updates = deltas.map((delta, i) => ({ delta, weight: counts[i] }));
      const out = run(() => trimmedMean(updates, { beta, maxWeightShare: 1 }));
      const expected = referenceTrimmedMean(deltas, counts, beta);
      out.forEach((x, k) => expect(x).toBeCloseTo(expected[k], 5));
      const equal = run(() => trimmedMean(updates, { beta, maxWeightShare: 1 / n }));
      const expectedEqual = referenceTrimmedMean(
        deltas,
        counts.map(() => 1),
        beta,
      );
      equal.forEach((x, k) => expect(x).toBeCloseTo(expectedEqual[k], 5));
    }
  });

  it('refuses β of 0.5 or more, naming the parameter', () => {
    expect(() => trimmedMean(scalars([1, 2]), { beta: 0.5 })).toThrow(
      'trimmed-mean: beta must be a number in [0, 0.5) (the fraction of the total weight dropped from each tail of every coordinate; 0.5 or more would drop everything); got 0.5',
    );
  });
});

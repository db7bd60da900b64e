import { withJsKernels } from './kernels.js';
import { cappedWeights, type SiloUpdate } from './updates.js';
import { weightedMedian } from './weighted-median.js';

const f32 = (...xs: number[]) => Float32Array.from(xs);
const scalars = (values: number[], weights: number[] = values.map(() => 1)): SiloUpdate[] =>
  values.map((v, i) => ({ delta: f32(v), weight: weights[i] }));

/**
 * The definition, per coordinate, by a plain sort: the first value whose cumulative weight reaches half, or the
 * midpoint with the next when it reaches half exactly. Weights are given already capped.
 */
function referenceMedian(deltas: Float32Array[], weights: number[]): number[] {
  const total = weights.reduce((a, b) => a + b, 0);
  return Array.from(deltas[0], (_, k) => {
    const order = deltas.map((_, i) => i).sort((a, b) => deltas[a][k] - deltas[b][k]);
    let cumulative = 0;
    for (let r = 0; r < order.length; r++) {
      cumulative += weights[order[r]];
      if (Math.abs(cumulative - total / 2) <= 1e-9 * total && r + 1 < order.length) {
        return Math.fround((deltas[order[r]][k] + deltas[order[r + 1]][k]) / 2);
      }
      if (cumulative >= total / 2) return deltas[order[r]][k];
    }
    throw new Error('unreachable');
  });
}

describe('weightedMedian', () => {
  it('is the ordinary median with equal weights: [1, 2, 3, 10] gives the midpoint 2.5, odd N the middle value', () => {
    expect(weightedMedian(scalars([1, 2, 3, 10]))[0]).toBe(2.5);
    expect(weightedMedian(scalars([10, 3, 1, 2]))[0]).toBe(2.5);
    expect(weightedMedian(scalars([5, -1, 3]))[0]).toBe(3);
    expect(weightedMedian(scalars([2, 2, 2, 9]))[0]).toBe(2);
    expect(weightedMedian(scalars([7]))[0]).toBe(7);
  });

  it('respects sizes, but a capped big site cannot decide it alone (hand-computed)', () => {
    const values = [1, 2, 3, 10];
    const counts = [1, 1, 1, 5];
    // Uncapped: cumulative 1, 2, 3, 8 of 8 — the site with 5 of 8 examples decides: 10.
    expect(weightedMedian(scalars(values, counts), { maxWeightShare: 1 })[0]).toBe(10);
    // Capped at 1/3: 5/8 > 1/3 so it gets 1/3 and the others 2/9 each; cumulative 2/9, 4/9, 6/9 ≥ 1/2: 3.
    expect(weightedMedian(scalars(values, counts))[0]).toBe(3);
  });

  it('takes the midpoint when the cumulative weight is exactly half, with unequal weights too', () => {
    // Weights 3, 1, 1, 3 of 8: cumulative 3, 4 = half at value 2, so (2 + 3) / 2.
    expect(weightedMedian(scalars([1, 2, 3, 4], [3, 1, 1, 3]), { maxWeightShare: 1 })[0]).toBe(2.5);
    // Weights 3, 2, 1, 2 of 8: cumulative 3, 5 passes half at value 2.
    expect(weightedMedian(scalars([1, 2, 3, 4], [3, 2, 1, 2]), { maxWeightShare: 1 })[0]).toBe(2);
  });

  it('works coordinate by coordinate', () => {
    const out = weightedMedian([
      { delta: f32(1, 30, -5), weight: 1 },
      { delta: f32(2, 10, -6), weight: 1 },
      { delta: f32(3, 20, -4), weight: 1 },
    ]);
    expect(out).toEqual(f32(2, 20, -5));
  });

  it.each([
    ['the default machine', <T>(fn: () => T) => fn()],
    ['the JavaScript kernels', withJsKernels],
  ])('with %s, matches the sort-based definition on random rounds', (_, run) => {
    let seed = 5;
    const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    for (const [n, length, share] of [
      [5, 50, 1],
      [8, 33, 0.3],
      [30, 20, 0.05],
      [101, 9, 1],
    ]) {
      // Small integer counts and values make exact ties at half and repeated values common.
      const counts = Array.from({ length: n }, () => 1 + Math.floor(random() * 4));
      const deltas = Array.from({ length: n }, () =>
        Float32Array.from({ length }, () => Math.floor(random() * 6) - 3),
      );
      const updates = deltas.map((delta, i) => ({ delta, weight: counts[i] }));
      // The weights are cappedWeights' (tested by hand on its own); the median given them is what is checked here.
      const weights = Array.from(cappedWeights(counts, share));
      expect(Array.from(run(() => weightedMedian(updates, { maxWeightShare: share })))).toEqual(
        referenceMedian(deltas, weights),
      );
    }
  });

  it('stays within the honest values when one site sends anything, even claiming a huge count', () => {
    const honest = [0.9, 1.1, 1, 0.95, 1.05, 1.02];
    for (const bad of [1e3, -1e9, 3e38]) {
      const out = weightedMedian(scalars([...honest, bad], [...honest.map(() => 100), 1e9]))[0];
      expect(out).toBeGreaterThanOrEqual(0.9);
      expect(out).toBeLessThanOrEqual(1.1);
    }
  });

  it('refuses a bad cap and names it', () => {
    expect(() => weightedMedian(scalars([1, 2]), { maxWeightShare: 0 })).toThrow(
      'median: maxWeightShare must be a number in (0, 1]',
    );
  });
});

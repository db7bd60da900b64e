import { geometricMedian, smoothedWeiszfeld } from './geometric-median.js';

const f32 = (...xs: number[]) => Float32Array.from(xs);
const points = (ps: number[][], weights: number[] = ps.map(() => 1)) =>
  ps.map((p, i) => ({ delta: f32(...p), weight: weights[i] }));

describe('geometricMedian (smoothed Weiszfeld)', () => {
  it('is the median on a line: {0, 1, 10} gives 1 (the mean is 11/3)', () => {
    expect(
      geometricMedian(points([[0], [1], [10]]), { tolerance: 1e-10, maxIterations: 1000 })[0],
    ).toBeCloseTo(1, 4);
  });

  it('is the centre of a square, reached at once from the mean', () => {
    const r = smoothedWeiszfeld(
      points([
        [0, 0],
        [2, 0],
        [0, 2],
        [2, 2],
      ]),
    );
    expect(r.median).toEqual(f32(1, 1));
    expect(r.converged).toBe(true);
    // Σ αᵢ‖v − xᵢ‖ = 4 · ¼ · √2
    expect(r.objective).toBeCloseTo(Math.SQRT2, 12);
  });

  it('finds the Fermat point of a triangle: (0, 1/√3) for (−1, 0), (1, 0), (0, 3) (angles 120° there)', () => {
    const r = smoothedWeiszfeld(
      points([
        [-1, 0],
        [1, 0],
        [0, 3],
      ]),
      { tolerance: 1e-12 },
    );
    expect(r.converged).toBe(true);
    expect(r.median[0]).toBeCloseTo(0, 6);
    expect(r.median[1]).toBeCloseTo(1 / Math.sqrt(3), 5);
  });

  it('weights by example counts: a site with half the weight or more is the median', () => {
    // Weight 3 of 5 at the origin outweighs the pull ‖(1, 0) + (0, 1)‖ = √2 of the others.
    const out = geometricMedian(
      points(
        [
          [0, 0],
          [1, 0],
          [0, 1],
        ],
        [3, 1, 1],
      ),
      { maxWeightShare: 1, tolerance: 1e-12, maxIterations: 5000 },
    );
    expect(Math.hypot(out[0], out[1])).toBeLessThan(1e-3);
  });

  it('stops at maxIterations and says it did not converge', () => {
    const r = smoothedWeiszfeld(points([[0], [1], [10]]), { maxIterations: 1, tolerance: 1e-15 });
    expect(r.iterations).toBe(1);
    expect(r.converged).toBe(false);
  });

  it('refuses a non-positive smoothing', () => {
    expect(() => geometricMedian(points([[0], [1]]), { nu: 0 })).toThrow(
      'geometric-median: nu must be a number above 0',
    );
  });
});

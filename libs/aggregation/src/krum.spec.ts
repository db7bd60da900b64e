import { AggregationError } from './errors.js';
import { withJsKernels } from './kernels.js';
import { krum, krumScores, multiKrum } from './krum.js';
import { pairwiseSquaredDistances } from './pairwise-distances.js';

const f32 = (...xs: number[]) => Float32Array.from(xs);

// Five points in the plane; e is far from the rest.
const points = [f32(0, 0), f32(2, 0), f32(0, 1), f32(1, 1), f32(10, 10)];
const updates = (weights = [1, 1, 1, 1, 1]) => points.map((delta, i) => ({ delta, weight: weights[i] }));

describe('krumScores', () => {
  it('sums the squared distances to the n − f − 2 nearest (hand-computed, n = 5, f = 1: two nearest)', () => {
    // Squared distances: ab 4, ac 1, ad 2, ae 200, bc 5, bd 2, be 164, cd 1, ce 181, de 162.
    // a {4, 1, 2, 200} → 1 + 2 = 3; b {4, 5, 2, 164} → 2 + 4 = 6; c {1, 5, 1, 181} → 2;
    // d {2, 2, 1, 162} → 3; e {200, 164, 181, 162} → 162 + 164 = 326.
    expect(Array.from(krumScores(updates(), 1))).toEqual([3, 6, 2, 3, 326]);
  });

  it('with f = 0 sums the three nearest', () => {
    // a 1 + 2 + 4 = 7; b 2 + 4 + 5 = 11; c 1 + 1 + 5 = 7; d 1 + 2 + 2 = 5; e 162 + 164 + 181 = 507
    expect(Array.from(krumScores(updates(), 0))).toEqual([7, 11, 7, 5, 507]);
  });

  it('refuses n ≤ 2f + 2, naming f', () => {
    let caught: unknown;
    try {
      krumScores(updates().slice(0, 4), 1);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(AggregationError);
    expect((caught as AggregationError).code).toBe('INVALID_PARAMETER');
    expect((caught as AggregationError).message).toBe(
      'krum: f = 1 needs more than 2f + 2 = 4 updates (each score sums the n − f − 2 nearest); got 4',
    );
  });
});

describe('krum and multiKrum', () => {
  it('Krum returns a copy of the best-scored update', () => {
    const input = updates();
    const out = krum(input, { f: 1 });
    expect(out).toEqual(f32(0, 1));
    expect(out).not.toBe(input[2].delta);
  });

  it('Multi-Krum averages the m best: c, then a and d (equal scores, input order)', () => {
    // (0, 1) + (0, 0) + (1, 1) over 3
    const out = multiKrum(updates(), { f: 1, m: 3 });
    expect(out[0]).toBeCloseTo(1 / 3, 6);
    expect(out[1]).toBeCloseTo(2 / 3, 6);
    // Weighted by counts (c has 2): (2·(0, 1) + (0, 0) + (1, 1)) / 4 = (0.25, 0.75)
    expect(multiKrum(updates([1, 1, 2, 1, 1]), { f: 1, m: 3, maxWeightShare: 1 })).toEqual(f32(0.25, 0.75));
    // m defaults to n − f = 4, leaving e out: c, a, d, b → (3, 2) / 4
    expect(multiKrum(updates(), { f: 1 })).toEqual(f32(0.75, 0.5));
    // m = 1 is Krum
    expect(multiKrum(updates(), { f: 1, m: 1 })).toEqual(krum(updates(), { f: 1 }));
  });

  it('refuses m above n − f', () => {
    expect(() => multiKrum(updates(), { f: 1, m: 5 })).toThrow(
      'multi-krum: m = 5 is more than n − f = 4: averaging more than n − f updates can take in a bad one',
    );
    expect(() => multiKrum(updates(), { f: 1.5 })).toThrow('multi-krum: f must be an integer of at least 0');
  });
});

describe('pairwiseSquaredDistances', () => {
  it('agrees between the SIMD and JavaScript kernels across block and tile boundaries', () => {
    let seed = 1;
    const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5;
    for (const [n, length] of [
      [2, 1],
      [7, 513],
      [13, 1000],
    ]) {
      const deltas = Array.from({ length: n }, () => Float32Array.from({ length }, random));
      const fast = pairwiseSquaredDistances(deltas);
      const plain = withJsKernels(() => pairwiseSquaredDistances(deltas));
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          // The reference, in float64 straight from the definition.
          let s = 0;
          for (let k = 0; k < length; k++) s += (deltas[i][k] - deltas[j][k]) ** 2;
          expect(plain[i * n + j]).toBeCloseTo(s, 9);
          expect(Math.abs(fast[i * n + j] - s)).toBeLessThanOrEqual(1e-5 * s);
        }
      }
    }
  });
});

describe('krum with nearest-neighbour mixing', () => {
  it('scores and returns the mixed updates (each the mean of its n − f nearest, hand-computed)', () => {
    // n = 5, f = 1: each point is averaged with its three nearest. a → a, c, d, b: (0.75, 0.5);
    // b → b, a, d, c: (0.75, 0.5); c → c, a, d, b: (0.75, 0.5); d → d, c, a, b: (0.75, 0.5);
    // e → e, d, b, c: (3.25, 3). The four honest ones coincide, so Krum returns their common mean.
    const out = krum(updates(), { f: 1, mixing: 1 });
    expect(Array.from(out)).toEqual([0.75, 0.5]);
    expect(Array.from(points[0])).toEqual([0, 0]);
  });

  it('multi-krum with mixing averages the mixed updates it selects', () => {
    const out = multiKrum(updates(), { f: 1, mixing: 1 });
    expect(out[0]).toBeCloseTo(0.75, 6);
    expect(out[1]).toBeCloseTo(0.5, 6);
  });

  it('refuses a mixing value other than 0 or 1', () => {
    expect(() => krum(updates(), { f: 1, mixing: 2 })).toThrow(/mixing/);
  });
});

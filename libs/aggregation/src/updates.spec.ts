import { AggregationError } from './errors.js';
import { cappedWeights, checkUpdates } from './updates.js';

const f32 = (...xs: number[]) => Float32Array.from(xs);
const close = (xs: number[]): unknown[] => xs.map((x): unknown => expect.closeTo(x, 12));

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AggregationError);
    return (err as AggregationError).code;
  }
  return undefined;
}

describe('cappedWeights', () => {
  it('caps the largest site at the share and gives the rest proportionally (hand-computed)', () => {
    // Total 800; 300/800 = 0.375 > 1/3, so it is capped and the others share 2/3 over 500: α = 1/750.
    expect(Array.from(cappedWeights([300, 200, 150, 100, 50], 1 / 3))).toEqual(
      close([1 / 3, 200 / 750, 150 / 750, 100 / 750, 50 / 750]),
    );
  });

  it('caps again when redistribution pushes the next site over (water-filling)', () => {
    // c = 0.3. Capping only the first: α = 0.7/14 = 0.05 puts the second 10 at 0.5 > 0.3. Capping both:
    // α = 0.4/4 = 0.1, the ones at 0.1 ≤ 0.3. Capping once at 0.3·24 = 7.2 and renormalising would give
    // 7.2/18.4 = 0.39 each: over the cap.
    expect(Array.from(cappedWeights([10, 1, 10, 1, 1, 1], 0.3))).toEqual(
      close([0.3, 0.1, 0.3, 0.1, 0.1, 0.1]),
    );
  });

  it('gives equal weights when the cap cannot be met, and proportional ones with no cap', () => {
    expect(Array.from(cappedWeights([100, 1, 1], 1 / 3))).toEqual(close([1 / 3, 1 / 3, 1 / 3]));
    expect(Array.from(cappedWeights([100, 1], 1 / 3))).toEqual(close([0.5, 0.5]));
    expect(Array.from(cappedWeights([1, 3], 1))).toEqual(close([0.25, 0.75]));
  });

  it('sums to 1, keeps every site under the cap, and keeps the order of sizes', () => {
    let seed = 7;
    const random = () => ((seed = (seed * 48271) % 2147483647) / 2147483647) * 1000 + 1;
    for (let trial = 0; trial < 200; trial++) {
      const counts = Array.from({ length: 2 + (trial % 30) }, random);
      const cap = 0.05 + (trial % 10) / 10;
      const w = cappedWeights(counts, cap);
      expect(w.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
      const bound = Math.max(cap, 1 / counts.length);
      for (const x of w) expect(x).toBeLessThanOrEqual(bound + 1e-12);
      for (let i = 0; i < counts.length; i++) {
        for (let j = 0; j < counts.length; j++)
          if (counts[i] < counts[j]) expect(w[i]).toBeLessThanOrEqual(w[j]);
      }
    }
  });

  it('refuses a share outside (0, 1]', () => {
    expect(codeOf(() => cappedWeights([1, 2], 0))).toBe('INVALID_PARAMETER');
    expect(() => cappedWeights([1, 2], 1.5)).toThrow('maxWeightShare must be in (0, 1]; got 1.5');
  });
});

describe('checkUpdates', () => {
  it('returns the parameter count', () => {
    expect(checkUpdates([{ delta: f32(1, 2, 3), weight: 1 }])).toBe(3);
  });

  it('names the silo of a bad update', () => {
    expect(codeOf(() => checkUpdates([]))).toBe('NO_UPDATES');
    const ok = { delta: f32(1, 2, 3), weight: 1, siloId: 'a' };
    expect(() => checkUpdates([ok, { delta: f32(1, NaN, 3), weight: 1, siloId: 'b' }])).toThrow(
      'update 1 (silo b) has a non-finite value (NaN) at index 1',
    );
    expect(() => checkUpdates([ok, { delta: f32(1, 2, -Infinity), weight: 1 }])).toThrow(
      'update 1 has a non-finite value (-Infinity) at index 2',
    );
    expect(() => checkUpdates([ok, { delta: f32(1, 2), weight: 1, siloId: 'c' }])).toThrow(
      'update 1 (silo c) has 2 values, expected 3',
    );
    expect(codeOf(() => checkUpdates([ok, { delta: f32(1, 2, 3), weight: 0 }]))).toBe('INVALID_WEIGHT');
    expect(codeOf(() => checkUpdates([{ delta: f32(), weight: 1 }]))).toBe('LENGTH_MISMATCH');
  });
});

import { AggregationError } from './errors.js';
import { createMeanAccumulator, fedAvg, withJsFedAvg } from './fedavg.js';

const f32 = (...xs: number[]) => Float32Array.from(xs);

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AggregationError);
    return (err as AggregationError).code;
  }
  return undefined;
}

describe('fedAvg', () => {
  it('weights each update by its example count', () => {
    // (1·[1, 2] + 3·[3, 6]) / 4 = [10, 20] / 4
    expect(
      fedAvg([
        { delta: f32(1, 2), weight: 1 },
        { delta: f32(3, 6), weight: 3 },
      ]),
    ).toEqual(f32(2.5, 5));
  });

  it('is the plain mean when every site has the same count', () => {
    const out = fedAvg([
      { delta: f32(1, -1, 0.5), weight: 7 },
      { delta: f32(2, 1, 0.25), weight: 7 },
      { delta: f32(6, 3, 0.75), weight: 7 },
    ]);
    expect(out).toEqual(f32(3, 1, 0.5));
  });

  it('keeps a small site visible next to a huge one (float64 accumulation)', () => {
    // Every delta is 1, so the mean is exactly 1. Summed in float32, 2^24 + 1 rounds back to 2^24 and
    // the sixteen small sites vanish from the numerator but not the denominator: 2^24 / (2^24 + 16).
    const updates = [{ delta: f32(1), weight: 2 ** 24 }];
    for (let i = 0; i < 16; i++) updates.push({ delta: f32(1), weight: 1 });
    expect(fedAvg(updates)[0]).toBe(1);
  });

  it('refuses no updates, mismatched lengths, non-finite values and bad weights', () => {
    expect(codeOf(() => fedAvg([]))).toBe('NO_UPDATES');
    expect(() =>
      fedAvg([
        { delta: new Float32Array(11), weight: 1 },
        { delta: new Float32Array(11), weight: 1 },
        { delta: new Float32Array(10), weight: 1 },
      ]),
    ).toThrow('update 2 has 10 values, expected 11');
    expect(codeOf(() => fedAvg([{ delta: f32(1, NaN), weight: 1 }]))).toBe('NON_FINITE_VALUE');
    expect(() =>
      fedAvg([
        { delta: f32(1, 2), weight: 1 },
        { delta: f32(Infinity, 2), weight: 1 },
      ]),
    ).toThrow('update 1 has a non-finite value (Infinity) at index 0');
    expect(codeOf(() => fedAvg([{ delta: f32(1), weight: 0 }]))).toBe('INVALID_WEIGHT');
    expect(codeOf(() => fedAvg([{ delta: f32(1), weight: -3 }]))).toBe('INVALID_WEIGHT');
    expect(codeOf(() => fedAvg([{ delta: f32(1), weight: NaN }]))).toBe('INVALID_WEIGHT');
  });
});

describe('MeanAccumulator', () => {
  it('gives the same mean folding updates in one at a time', () => {
    const acc = createMeanAccumulator(2);
    acc.add(f32(1, 2), 1);
    expect(acc.result()).toEqual(f32(1, 2));
    acc.add(f32(3, 6), 3);
    expect(acc.count).toBe(2);
    expect(acc.totalWeight).toBe(4);
    expect(acc.result()).toEqual(f32(2.5, 5));
  });

  it('leaves the running mean untouched when it refuses an update', () => {
    const acc = createMeanAccumulator(3);
    acc.add(f32(2, 4, 6), 2);
    // The NaN is at the last index: a single-pass add would already have folded in the first two values.
    expect(() => acc.add(f32(100, 100, NaN), 5)).toThrow(AggregationError);
    expect(() => acc.add(f32(100, 100), 5)).toThrow('update 1 has 2 values, expected 3');
    acc.add(f32(4, 6, 8), 2);
    expect(acc.count).toBe(2);
    expect(acc.result()).toEqual(f32(3, 5, 7));
  });

  it('refuses a result before any update and a non-positive size', () => {
    expect(codeOf(() => createMeanAccumulator(4).result())).toBe('NO_UPDATES');
    expect(codeOf(() => createMeanAccumulator(0))).toBe('INVALID_PARAMETER');
    expect(codeOf(() => createMeanAccumulator(2.5))).toBe('INVALID_PARAMETER');
  });
});

describe('fedAvg batch and streaming paths', () => {
  // Deterministic pseudo-random deltas (a linear congruential generator) spanning several kernel blocks, with a
  // ragged last block, and example counts of very different sizes.
  function updatesOf(n: number, length: number): { delta: Float32Array; weight: number }[] {
    let s = 12345;
    return Array.from({ length: n }, (_, i) => {
      const delta = new Float32Array(length);
      for (let k = 0; k < length; k++) {
        s = (Math.imul(s, 1664525) + 1013904223) | 0;
        delta[k] = ((s >>> 8) / 2 ** 24 - 0.5) * (i + 1);
      }
      return { delta, weight: i % 3 === 0 ? 5 : 1000 + 37 * i };
    });
  }

  function maxRelativeError(a: Float32Array, b: Float32Array): number {
    let worst = 0;
    for (let k = 0; k < a.length; k++) {
      worst = Math.max(worst, Math.abs(a[k] - b[k]) / Math.max(Math.abs(b[k]), 1e-30));
    }
    return worst;
  }

  it.each([
    [1, 7],
    [3, 10_001],
    [17, 9_999],
    [130, 1_003],
  ])('agree to 1e-6 relative for %i updates of %i values (WebAssembly and JavaScript)', (n, length) => {
    const updates = updatesOf(n, length);
    const acc = createMeanAccumulator(length);
    for (const u of updates) acc.add(u.delta, u.weight);
    const streamed = acc.result();
    expect(maxRelativeError(fedAvg(updates), streamed)).toBeLessThanOrEqual(1e-6);
    expect(
      maxRelativeError(
        withJsFedAvg(() => fedAvg(updates)),
        streamed,
      ),
    ).toBeLessThanOrEqual(1e-6);
  });

  it('names the first non-finite update found after the sum, on both paths', () => {
    const updates = updatesOf(4, 5000);
    updates[2].delta[4321] = NaN;
    expect(() => fedAvg(updates)).toThrow('update 2 has a non-finite value (NaN) at index 4321');
    expect(() => withJsFedAvg(() => fedAvg(updates))).toThrow('update 2 has a non-finite value');
  });

  it('survives weights so large that the products overflow', () => {
    const out = fedAvg([
      { delta: f32(3e38, -3e38), weight: 1e300 },
      { delta: f32(1e38, -1e38), weight: 1e300 },
    ]);
    expect(out[0] / 2e38).toBeCloseTo(1, 6);
    expect(out[1] / -2e38).toBeCloseTo(1, 6);
  });
});

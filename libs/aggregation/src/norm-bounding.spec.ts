import { AggregationError } from './errors.js';
import { createNormBoundingAccumulator, normBounding } from './norm-bounding.js';

const f32 = (...xs: number[]) => Float32Array.from(xs);

describe('normBounding', () => {
  it('projects long updates to the radius, then takes the example-weighted mean (hand-computed)', () => {
    // (3, 4) has norm 5 → (0.6, 0.8) at r = 1; (0.3, 0.4) is inside. (0.6 + 3·0.3, 0.8 + 3·0.4) / 4
    const out = normBounding(
      [
        { delta: f32(3, 4), weight: 1 },
        { delta: f32(0.3, 0.4), weight: 3 },
      ],
      { radius: 1 },
    );
    expect(out[0]).toBeCloseTo(0.375, 6);
    expect(out[1]).toBeCloseTo(0.5, 6);
  });

  it('streams to the same result and counts the clipped updates', () => {
    const acc = createNormBoundingAccumulator(2, 1);
    acc.add(f32(3, 4), 1);
    acc.add(f32(0.3, 0.4), 3);
    expect(acc.count).toBe(2);
    expect(acc.clipped).toBe(1);
    // Equal up to the order of float64 additions (the batch rule sums four updates at a time).
    const batch = normBounding(
      [
        { delta: f32(3, 4), weight: 1 },
        { delta: f32(0.3, 0.4), weight: 3 },
      ],
      { radius: 1 },
    );
    acc.result().forEach((x, i) => expect(x).toBeCloseTo(batch[i], 6));
  });

  it('leaves the accumulator unchanged when it refuses an update', () => {
    const acc = createNormBoundingAccumulator(2, 10);
    acc.add(f32(1, 2), 1);
    expect(() => acc.add(f32(1, NaN), 1)).toThrow('update 1 has a non-finite value (NaN) at index 1');
    expect(() => acc.add(f32(1), 1)).toThrow('update 1 has 1 values, expected 2');
    expect(() => acc.add(f32(1, 1), 0)).toThrow(AggregationError);
    acc.add(f32(3, 4), 1);
    expect(acc.result()).toEqual(f32(2, 3));
  });

  it('refuses a radius ≤ 0, naming it', () => {
    expect(() => normBounding([{ delta: f32(1), weight: 1 }], { radius: 0 })).toThrow(
      'norm-bounding: radius must be a number above 0',
    );
    expect(() => createNormBoundingAccumulator(1, -1)).toThrow(
      'norm-bounding: radius must be a number above 0',
    );
  });
});

import { centeredClipping } from './centered-clipping.js';

const f32 = (...xs: number[]) => Float32Array.from(xs);
const scalars = (values: number[]) => values.map((v) => ({ delta: f32(v), weight: 1 }));

describe('centeredClipping', () => {
  // x = 0, 1, 100 with τ = 2, from v = 0:
  //   step 1: clip(x − 0) = 0, 1, 2 → mean 1 → v = 1
  //   step 2: clip(x − 1) = −1, 0, 2 → mean 1/3 → v = 4/3
  //   step 3: clip(x − 4/3) = −4/3, −1/3, 2 → mean 1/9 → v = 13/9
  it('takes clipped mean steps from zero (hand-computed)', () => {
    const x = scalars([0, 1, 100]);
    expect(centeredClipping(x, { tau: 2, iterations: 1 })[0]).toBeCloseTo(1, 6);
    expect(centeredClipping(x, { tau: 2, iterations: 2 })[0]).toBeCloseTo(4 / 3, 6);
    expect(centeredClipping(x, { tau: 2, iterations: 3 })[0]).toBeCloseTo(13 / 9, 6);
    expect(centeredClipping(x, { tau: 2 })[0]).toBeCloseTo(13 / 9, 6);
  });

  it('starts from the reference (last round’s aggregate) when given', () => {
    expect(centeredClipping(scalars([0, 1, 100]), { tau: 2, iterations: 1 }, f32(1))[0]).toBeCloseTo(
      4 / 3,
      6,
    );
  });

  it('clips in ℓ2, not per coordinate', () => {
    // From 0, (3, 4) clipped to τ = 5/2 is (1.5, 2); (0, 0) stays; mean (0.75, 1).
    const out = centeredClipping(
      [
        { delta: f32(3, 4), weight: 1 },
        { delta: f32(0, 0), weight: 1 },
      ],
      { tau: 2.5, iterations: 1 },
    );
    expect(out).toEqual(f32(0.75, 1));
  });

  it('refuses τ ≤ 0 and a reference of the wrong length', () => {
    expect(() => centeredClipping(scalars([1]), { tau: 0 })).toThrow(
      'centered-clipping: tau must be a number above 0',
    );
    expect(() => centeredClipping(scalars([1]), { tau: 1 }, f32(1, 2))).toThrow(
      'reference has 2 values, expected 1',
    );
  });
});

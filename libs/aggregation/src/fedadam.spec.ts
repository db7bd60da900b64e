import { fedAdamStep } from './fedadam.js';

const f32 = (...xs: number[]) => Float32Array.from(xs);
const close = (xs: number[]): unknown[] => xs.map((x): unknown => expect.closeTo(x, 6));

describe('fedAdamStep', () => {
  // β₁ = β₂ = 0.5 and τ = 1 (so v starts at τ² = 1) keep the square roots whole: √25 = 5, √1 = 1.
  const params = { learningRate: 1, beta1: 0.5, beta2: 0.5, tau: 1 };

  it('matches three rounds computed by hand', () => {
    // Round 1, Δ = [7, 1, -1]: m = 0.5Δ = [3.5, 0.5, -0.5]; v = 0.5·1 + 0.5Δ² = [25, 1, 1]
    // step m/(√v + 1) = [3.5/6, 0.5/2, -0.5/2]; w = [7/12, 0.25, -0.25]
    let r = fedAdamStep(f32(0, 0, 0), f32(7, 1, -1), undefined, params);
    expect(Array.from(r.m)).toEqual(close([3.5, 0.5, -0.5]));
    expect(Array.from(r.v)).toEqual(close([25, 1, 1]));
    expect(Array.from(r.weights)).toEqual(close([7 / 12, 0.25, -0.25]));
    // Round 2, Δ = [-5, 7, 1]: m = [-0.75, 3.75, 0.25]; v = [25, 25, 1]
    // step = [-0.125, 0.625, 0.125]; w = [11/24, 0.875, -0.125]
    r = fedAdamStep(r.weights, f32(-5, 7, 1), r, params);
    expect(Array.from(r.m)).toEqual(close([-0.75, 3.75, 0.25]));
    expect(Array.from(r.v)).toEqual(close([25, 25, 1]));
    expect(Array.from(r.weights)).toEqual(close([11 / 24, 0.875, -0.125]));
    // Round 3, Δ = [5, -5, 0]: m = [2.125, -0.625, 0.125]; v = [25, 25, 0.5] (v may fall below τ²: it is a
    // starting value, not a floor); step = [2.125/6, -0.625/6, 0.125/(√0.5 + 1) = 0.125(2 − √2)]
    // w = [39/48, 37/48, -0.125 + 0.0732233] = [0.8125, 0.7708333, -0.0517767]
    r = fedAdamStep(r.weights, f32(5, -5, 0), r, params);
    expect(Array.from(r.m)).toEqual(close([2.125, -0.625, 0.125]));
    expect(Array.from(r.v)).toEqual(close([25, 25, 0.5]));
    expect(Array.from(r.weights)).toEqual(close([0.8125, 0.7708333, -0.0517767]));
  });

  it('takes the paper’s unbiased first step with its defaults (β₁ 0.9, β₂ 0.99, τ 1e-3)', () => {
    // m = 0.1; v = 0.99·1e-6 + 0.01 = 0.01000099; step = 0.1/(√0.01000099 + 0.001) = 0.99005049
    // (bias-corrected Adam would step by 1/(1 + 0.001) = 0.999; the paper's algorithm has no correction).
    const r = fedAdamStep(f32(0), f32(1), undefined, { learningRate: 1, beta1: 0.9, beta2: 0.99, tau: 1e-3 });
    expect(r.v[0]).toBeCloseTo(0.01000099, 9);
    expect(r.weights[0]).toBeCloseTo(0.99005049, 6);
  });

  it('scales the step by η and leaves a coordinate with no history and zero delta alone', () => {
    const r = fedAdamStep(f32(1, 1), f32(7, 0), undefined, { ...params, learningRate: 0.1 });
    expect(Array.from(r.weights)).toEqual(close([1 + 0.35 / 6, 1]));
  });

  it('refuses out-of-range parameters and state of the wrong length', () => {
    expect(() => fedAdamStep(f32(1), f32(1), undefined, { ...params, beta2: 1 })).toThrow(
      'beta2 must be in [0, 1)',
    );
    expect(() => fedAdamStep(f32(1), f32(1), undefined, { ...params, tau: 0 })).toThrow('tau must be in (0,');
    expect(() => fedAdamStep(f32(1), f32(1), { m: f32(0), v: f32(1, 1) }, params)).toThrow(
      'second-moment state has 2 values, expected 1',
    );
  });
});

import { ModelError } from './errors.js';
import { modelLayout } from './layout.js';
import { assertWeightsMatch, firstNonFiniteFloat32 } from './validate.js';

describe('assertWeightsMatch', () => {
  const layout = modelLayout({ template: 'mlp', hiddenUnits: [2] }, 3); // 3*2 + 2 + 2 + 1 = 11

  it('accepts a finite vector of the right length', () => {
    expect(() => assertWeightsMatch(layout, new Float32Array(11))).not.toThrow();
  });

  it('names both counts when the length is wrong', () => {
    expect(() => assertWeightsMatch(layout, new Float32Array(12))).toThrow(
      'update has 12 values, the model has 11 parameters',
    );
    expect(() => assertWeightsMatch(layout, new Float32Array(10), 'global model')).toThrow(
      'global model has 10 values, the model has 11 parameters',
    );
  });

  it('names the tensor holding a non-finite value', () => {
    const w = new Float32Array(11);
    w[8] = Number.NaN; // first value of dense_1/kernel
    let caught: unknown;
    try {
      assertWeightsMatch(layout, w);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ModelError);
    expect((caught as ModelError).code).toBe('WEIGHTS_NOT_FINITE');
    expect((caught as ModelError).message).toMatch(/index 8, in dense_1\/kernel/);
  });

  it('finds a non-finite value in a plain array as in a Float32Array', () => {
    const plain = Array.from({ length: 11 }, () => 0);
    plain[3] = Number.POSITIVE_INFINITY;
    expect(() => assertWeightsMatch(layout, plain)).toThrow(/non-finite value \(Infinity\) at index 3/);
  });
});

describe('firstNonFiniteFloat32', () => {
  it('gives the index of the first NaN or infinity, or -1', () => {
    expect(firstNonFiniteFloat32(new Float32Array(5))).toBe(-1);
    expect(firstNonFiniteFloat32(Float32Array.of(0, 1, Number.NEGATIVE_INFINITY, Number.NaN))).toBe(2);
    expect(firstNonFiniteFloat32(Float32Array.of(Number.NaN))).toBe(0);
    expect(firstNonFiniteFloat32(new Float32Array(0))).toBe(-1);
  });
});

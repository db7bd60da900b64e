import { initialWeights } from './init.js';
import { modelLayout, parameterCount } from './layout.js';

describe('initialWeights', () => {
  const mlp = { template: 'mlp', hiddenUnits: [64] };

  it('has one value per parameter and is deterministic for a seed', () => {
    const a = initialWeights(mlp, 40, 1);
    expect(a).toBeInstanceOf(Float32Array);
    expect(a.length).toBe(parameterCount(modelLayout(mlp, 40)));
    expect(initialWeights(mlp, 40, 1)).toEqual(a);
    expect(initialWeights(mlp, 40, 2)).not.toEqual(a);
  });

  it('draws Glorot-uniform kernels and zero biases', () => {
    const w = initialWeights(mlp, 40, 9);
    // dense_0/kernel 40x64, dense_0/bias 64, dense_1/kernel 64x1, dense_1/bias 1
    const k0 = w.subarray(0, 2560);
    const b0 = w.subarray(2560, 2624);
    const k1 = w.subarray(2624, 2688);
    const b1 = w.subarray(2688);
    expect(b1.length).toBe(1);
    expect([...b0, ...b1].every((v) => v === 0)).toBe(true);

    const limit0 = Math.sqrt(6 / (40 + 64));
    expect(Math.max(...k0.map(Math.abs))).toBeLessThanOrEqual(limit0);
    const mean = k0.reduce((s, v) => s + v, 0) / k0.length;
    const variance = k0.reduce((s, v) => s + (v - mean) ** 2, 0) / k0.length;
    // U(-l, l) has mean 0 and variance l^2 / 3 = 2 / (fanIn + fanOut).
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(variance).toBeGreaterThan(0.9 * (2 / 104));
    expect(variance).toBeLessThan(1.1 * (2 / 104));

    const limit1 = Math.sqrt(6 / 65);
    expect(Math.max(...k1.map(Math.abs))).toBeLessThanOrEqual(limit1);
    expect(Math.max(...k1.map(Math.abs))).toBeGreaterThan(0.5 * limit1);
  });
});

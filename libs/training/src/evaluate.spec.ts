import * as tf from '@tensorflow/tfjs';
import { initTensorflow } from './backend.js';
import { evaluateModel } from './evaluate.js';

describe('evaluateModel', () => {
  beforeAll(async () => {
    await initTensorflow('wasm');
  });

  it('scores each example with the given weights', async () => {
    const data = { x: Float32Array.from([1, 0, 0, 1, 2, -1]), y: Float32Array.from([1, 0, 1]), n: 3, d: 2 };
    const weights = Float32Array.from([2, -1, 0.5]); // kernel [2, -1], bias 0.5
    const { scores, labels } = await evaluateModel({ template: 'logreg', hiddenUnits: [] }, 2, weights, data);
    const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
    expect(Array.from(scores)).toHaveLength(3);
    expect(scores[0]).toBeCloseTo(sigmoid(2.5), 6);
    expect(scores[1]).toBeCloseTo(sigmoid(-0.5), 6);
    expect(scores[2]).toBeCloseTo(sigmoid(5.5), 6);
    expect(labels).toEqual(data.y);
    expect(labels).not.toBe(data.y);
  });

  it('scores more rows than one prediction batch', async () => {
    const n = 20_000;
    const x = Float32Array.from({ length: n }, (_, i) => (i % 2 === 0 ? 1 : -1));
    const data = { x, y: new Float32Array(n), n, d: 1 };
    const before = tf.memory().numTensors;
    const { scores } = await evaluateModel(
      { template: 'logreg', hiddenUnits: [] },
      1,
      Float32Array.from([3, 0]),
      data,
    );
    expect(scores).toHaveLength(n);
    expect(scores[n - 2]).toBeCloseTo(1 / (1 + Math.exp(-3)), 6);
    expect(scores[n - 1]).toBeCloseTo(1 / (1 + Math.exp(3)), 6);
    // Only the newly cached model's two variables remain.
    expect(tf.memory().numTensors).toBe(before + 2);
  });
});

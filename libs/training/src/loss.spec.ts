import * as tf from '@tensorflow/tfjs';
import { initTensorflow } from './backend.js';
import { binaryCrossEntropyWithLogits } from './loss.js';

describe('binaryCrossEntropyWithLogits', () => {
  beforeAll(async () => {
    await initTensorflow('wasm');
  });

  const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

  it('is the mean of −y·log σ(z) − (1 − y)·log(1 − σ(z))', () => {
    const z = [2, -1, 0.5, 0];
    const y = [1, 0, 0, 1];
    const expected =
      z.reduce((s, zi, i) => s - (y[i] * Math.log(sigmoid(zi)) + (1 - y[i]) * Math.log(1 - sigmoid(zi))), 0) /
      4;
    const loss = binaryCrossEntropyWithLogits(tf.tensor2d(z, [4, 1]), tf.tensor2d(y, [4, 1]));
    expect(loss.dataSync()[0]).toBeCloseTo(expected, 6);
  });

  it('stays finite for confident mistakes (loss ≈ |z|)', () => {
    const loss = binaryCrossEntropyWithLogits(tf.tensor2d([100, -100], [2, 1]), tf.tensor2d([0, 1], [2, 1]));
    expect(loss.dataSync()[0]).toBeCloseTo(100, 4);
  });

  it('has gradient (σ(z) − y) / m', () => {
    const z = [2, -1, 0.5];
    const y = [1, 0, 0];
    const grad = tf.grad((zt: tf.Tensor) => binaryCrossEntropyWithLogits(zt, tf.tensor2d(y, [3, 1])))(
      tf.tensor2d(z, [3, 1]),
    );
    const values = Array.from(grad.dataSync());
    z.forEach((zi, i) => expect(values[i]).toBeCloseTo((sigmoid(zi) - y[i]) / 3, 6));
  });
});

import { createRandom, initialWeights, shuffledIndices } from '@cohort/model';
import * as tf from '@tensorflow/tfjs';
import { initTensorflow } from './backend.js';
import { evaluateModel } from './evaluate.js';
import { trainLocal } from './local-train.js';
import { binaryMetrics } from '@cohort/evaluation';
import { rows, separableData } from './testing/synthetic.js';

const logreg = { template: 'logreg', hiddenUnits: [] };
const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/** One SGD step of logistic regression on mean binary cross-entropy, in float64: w -= lr * X^T (p - y) / m. */
function referenceStep(w: number[], x: Float32Array, y: Float32Array, batch: number[], lr: number): number[] {
  const d = w.length - 1;
  const grad = new Array<number>(d + 1).fill(0);
  for (const i of batch) {
    let z = w[d];
    for (let j = 0; j < d; j++) z += w[j] * x[i * d + j];
    const err = sigmoid(z) - y[i];
    for (let j = 0; j < d; j++) grad[j] += (err * x[i * d + j]) / batch.length;
    grad[d] += err / batch.length;
  }
  return w.map((v, j) => v - lr * grad[j]);
}

describe('trainLocal', () => {
  beforeAll(async () => {
    await initTensorflow('wasm');
  });

  it('takes exactly the SGD steps of a hand-written logistic regression, in the seeded order', async () => {
    const data = separableData(7, 3, 1);
    const global = Float32Array.from([0.3, -0.2, 0.1, 0.05]);
    const seed = 99;
    const options = { epochs: 2, batchSize: 3, learningRate: 0.5, seed };
    const result = await trainLocal(logreg, 3, global, data, options);

    let w = Array.from(global);
    const random = createRandom(seed);
    for (let epoch = 0; epoch < 2; epoch++) {
      const order = Array.from(shuffledIndices(7, random));
      for (let start = 0; start < 7; start += 3)
        w = referenceStep(w, data.x, data.y, order.slice(start, start + 3), 0.5);
    }
    for (let j = 0; j < w.length; j++) expect(result.weights[j]).toBeCloseTo(w[j], 5);
    expect(result.examples).toBe(7);
    expect(result.trainMs).toBeGreaterThan(0);
  });

  it('backpropagates through relu hidden layers like a hand-written network', async () => {
    // d = 3, one hidden layer of 2, one full batch, one step.
    const spec = { template: 'mlp', hiddenUnits: [2] };
    const data = separableData(5, 3, 12);
    const global = Float32Array.from([0.5, -0.3, 0.2, 0.4, -0.6, 0.1, 0.05, -0.02, 0.7, -0.5, 0.1]);
    const lr = 0.3;
    const result = await trainLocal(spec, 3, global, data, {
      epochs: 1,
      batchSize: 5,
      learningRate: lr,
      seed: 1,
    });

    const w = Array.from(global);
    const W0 = (j: number, k: number) => w[j * 2 + k];
    const b0 = (k: number) => w[6 + k];
    const W1 = (k: number) => w[8 + k];
    const b1 = w[10];
    const grad = new Array<number>(11).fill(0);
    for (let i = 0; i < 5; i++) {
      const xi = Array.from(data.x.subarray(i * 3, i * 3 + 3));
      const pre = [0, 1].map((k) => b0(k) + xi.reduce((s, v, j) => s + v * W0(j, k), 0));
      const h = pre.map((v) => Math.max(v, 0));
      const dz = (sigmoid(b1 + h[0] * W1(0) + h[1] * W1(1)) - data.y[i]) / 5;
      for (let k = 0; k < 2; k++) {
        grad[8 + k] += dz * h[k];
        const dpre = pre[k] > 0 ? dz * W1(k) : 0;
        grad[6 + k] += dpre;
        for (let j = 0; j < 3; j++) grad[j * 2 + k] += dpre * xi[j];
      }
      grad[10] += dz;
    }
    w.forEach((v, i) => expect(result.weights[i]).toBeCloseTo(v - lr * grad[i], 5));
    expect(grad.some((g) => Math.abs(g) > 1e-3)).toBe(true);
  });

  it('reports the delta from the global weights and leaves its inputs alone', async () => {
    const data = separableData(50, 4, 2);
    const global = initialWeights(logreg, 4, 5);
    const globalCopy = global.slice();
    const xCopy = data.x.slice();
    const result = await trainLocal(logreg, 4, global, data, {
      epochs: 1,
      batchSize: 8,
      learningRate: 0.1,
      seed: 1,
    });
    expect(result.delta).toEqual(result.weights.map((v, i) => v - global[i]));
    expect(result.delta.some((v) => v !== 0)).toBe(true);
    expect(global).toEqual(globalCopy);
    expect(data.x).toEqual(xCopy);
  });

  it('is deterministic for a seed and depends on it', async () => {
    const data = separableData(200, 6, 3);
    const mlp = { template: 'mlp', hiddenUnits: [8] };
    const global = initialWeights(mlp, 6, 7);
    const options = { epochs: 3, batchSize: 16, learningRate: 0.1, seed: 11 };
    const a = await trainLocal(mlp, 6, global, data, options);
    const b = await trainLocal(mlp, 6, global, data, options);
    const c = await trainLocal(mlp, 6, global, data, { ...options, seed: 12 });
    expect(b.weights).toEqual(a.weights);
    expect(c.weights).not.toEqual(a.weights);
  });

  it.each([
    ['logreg', logreg],
    ['mlp', { template: 'mlp', hiddenUnits: [16] }],
  ])('%s learns a linearly separable problem (> 95%% held-out accuracy)', async (_name, spec) => {
    const all = separableData(500, 8, 4);
    const train = rows(all, 0, 350);
    const test = rows(all, 350, 500);
    let weights = initialWeights(spec, 8, 1);
    const before = binaryMetrics(...scoresOf(await evaluateModel(spec, 8, weights, test)));
    for (let round = 0; round < 10; round++) {
      ({ weights } = await trainLocal(spec, 8, weights, train, {
        epochs: 2,
        batchSize: 16,
        learningRate: 0.5,
        seed: round,
      }));
    }
    const after = binaryMetrics(...scoresOf(await evaluateModel(spec, 8, weights, test)));
    expect(after.accuracy).toBeGreaterThan(0.95);
    expect(after.loss).toBeLessThan(before.loss);
    expect(after.auc).toBeGreaterThan(0.98);
  });

  it('does not grow memory across 100 rounds of training and evaluation', async () => {
    const data = separableData(250, 13, 5);
    const spec = { template: 'mlp', hiddenUnits: [16] };
    let weights = initialWeights(spec, 13, 1);
    const options = { epochs: 1, batchSize: 32, learningRate: 0.1, seed: 0 };
    // The first call builds and caches the model; only later calls must leave nothing behind.
    ({ weights } = await trainLocal(spec, 13, weights, data, options));
    await evaluateModel(spec, 13, weights, data);
    const baseline = tf.memory();
    for (let round = 1; round <= 100; round++) {
      ({ weights } = await trainLocal(spec, 13, weights, data, { ...options, seed: round }));
      await evaluateModel(spec, 13, weights, data);
    }
    expect(tf.memory().numTensors).toBe(baseline.numTensors);
    expect(tf.memory().numBytes).toBe(baseline.numBytes);
  });

  it('serialises concurrent calls on the same cached model', async () => {
    // Large enough that training hands the event loop back mid-run, which is when calls could interleave.
    const data = separableData(4000, 5, 6);
    const options = { epochs: 2, batchSize: 16, learningRate: 0.05, seed: 3 };
    const g1 = initialWeights(logreg, 5, 1);
    const g2 = initialWeights(logreg, 5, 2);
    const sequential1 = await trainLocal(logreg, 5, g1, data, options);
    const sequential2 = await trainLocal(logreg, 5, g2, data, options);
    const [concurrent1, concurrent2] = await Promise.all([
      trainLocal(logreg, 5, g1, data, options),
      trainLocal(logreg, 5, g2, data, options),
    ]);
    expect(concurrent1.weights).toEqual(sequential1.weights);
    expect(concurrent2.weights).toEqual(sequential2.weights);
  });

  it('gives the same model on the cpu and wasm backends, up to float rounding', async () => {
    const spec = { template: 'mlp', hiddenUnits: [8] };
    const data = separableData(120, 5, 13);
    const global = initialWeights(spec, 5, 2);
    const options = { epochs: 2, batchSize: 10, learningRate: 0.2, seed: 6 };
    try {
      await initTensorflow('cpu');
      const onCpu = await trainLocal(spec, 5, global, data, options);
      await initTensorflow('wasm');
      const onWasm = await trainLocal(spec, 5, global, data, options);
      onWasm.weights.forEach((v, i) => expect(v).toBeCloseTo(onCpu.weights[i], 4));
    } finally {
      await initTensorflow('wasm');
    }
  });

  it('keeps a round of logistic regression on 250 rows cheap', async () => {
    const data = separableData(250, 13, 8);
    let weights = initialWeights(logreg, 13, 1);
    const options = { epochs: 1, batchSize: 32, learningRate: 0.1, seed: 0 };
    ({ weights } = await trainLocal(logreg, 13, weights, data, options));
    const times: number[] = [];
    for (let round = 0; round < 20; round++) {
      const started = performance.now();
      ({ weights } = await trainLocal(logreg, 13, weights, data, { ...options, seed: round }));
      times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);
    // Generous bound for slow CI machines; typically under 10 ms. Rebuilding the model every call would exceed it.
    expect(times[10]).toBeLessThan(100);
  });

  describe('refuses bad input with a clear message', () => {
    const data = separableData(10, 2, 9);
    const global = new Float32Array(3);
    const options = { epochs: 1, batchSize: 4, learningRate: 0.1, seed: 0 };

    it.each([
      [
        'wrong width',
        () => trainLocal(logreg, 3, new Float32Array(4), data, options),
        /has 2 features, the model expects 3/,
      ],
      [
        'a NaN feature',
        () =>
          trainLocal(logreg, 2, global, { ...data, x: data.x.map((v, i) => (i === 5 ? NaN : v)) }, options),
        /non-finite value \(NaN\) in row 2, feature 1/,
      ],
      [
        'a label that is not 0 or 1',
        () => trainLocal(logreg, 2, global, { ...data, y: data.y.map((v, i) => (i === 3 ? 2 : v)) }, options),
        /y\[3\] is 2; labels must be 0 or 1/,
      ],
      [
        'zero epochs',
        () => trainLocal(logreg, 2, global, data, { ...options, epochs: 0 }),
        /epochs must be a positive integer/,
      ],
      [
        'a zero batch',
        () => trainLocal(logreg, 2, global, data, { ...options, batchSize: 0 }),
        /batchSize must be/,
      ],
      [
        'a negative rate',
        () => trainLocal(logreg, 2, global, data, { ...options, learningRate: -1 }),
        /learningRate must be/,
      ],
      [
        'weights of the wrong length',
        () => trainLocal(logreg, 2, new Float32Array(4), data, options),
        /has 4 values, the model has 3/,
      ],
    ])('%s', async (_name, attempt, message) => {
      await expect(attempt()).rejects.toThrow(message);
    });

    it('diverging weights', async () => {
      const huge = {
        x: Float32Array.from([1e30, 1e30, -1e30, -1e30]),
        y: Float32Array.from([1, 0]),
        n: 2,
        d: 2,
      };
      await expect(
        trainLocal(logreg, 2, global, huge, { epochs: 3, batchSize: 1, learningRate: 1e30, seed: 0 }),
      ).rejects.toThrow(/non-finite weight/);
    });
  });
});

function scoresOf(p: { scores: Float32Array; labels: Float32Array }): [Float32Array, Float32Array] {
  return [p.scores, p.labels];
}

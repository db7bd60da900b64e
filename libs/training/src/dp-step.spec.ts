import { createRandom, modelArchitecture, modelLayout, tensorSize } from '@cohort/model';
import type { ModelSpec } from '@cohort/protocol';
import * as tf from '@tensorflow/tfjs';
import { initTensorflow } from './backend.js';
import type { LabelledData } from './data.js';
import { dpGradientStep } from './dp-step.js';
import { logitsOf } from './forward.js';
import { binaryCrossEntropyWithLogits } from './loss.js';
import { poissonSample } from './poisson-sample.js';

const logreg: ModelSpec = { template: 'logreg', hiddenUnits: [] };
const mlp8: ModelSpec = { template: 'mlp', hiddenUnits: [8] };
const D = 13;

/** n records of d roughly standard-normal features (sum of uniforms) with random 0/1 labels. */
function randomData(n: number, d: number, seed: number): LabelledData {
  const random = createRandom(seed);
  const x = new Float32Array(n * d);
  const y = new Float32Array(n);
  for (let i = 0; i < n * d; i++) x[i] = 2 * (random() + random() + random() - 1.5);
  for (let i = 0; i < n; i++) y[i] = random() < 0.5 ? 1 : 0;
  return { x, y, n, d };
}

function randomWeights(spec: ModelSpec, d: number, seed: number): Float32Array {
  const size = modelLayout(spec, d).reduce((s, t) => s + tensorSize(t), 0);
  const random = createRandom(seed);
  return Float32Array.from({ length: size }, () => 2 * random() - 1);
}

/** The packed weights as one tensor per layout entry (the caller disposes them). */
function weightTensors(spec: ModelSpec, d: number, weights: Float32Array): tf.Tensor[] {
  let offset = 0;
  return modelLayout(spec, d).map(({ shape }) => {
    const size = tensorSize({ name: '', shape });
    const t = tf.tensor(weights.slice(offset, offset + size), shape);
    offset += size;
    return t;
  });
}

/**
 * The naive reference, independent of the code under test: for each record on its own, tf.grads of the
 * record's sigmoid cross-entropy (TensorFlow.js's built-in loss) through a forward pass written here, then the
 * norm, the clip and the sum in float64.
 */
function naiveClippedSum(
  spec: ModelSpec,
  weights: Float32Array,
  data: LabelledData,
  rows: Iterable<number>,
  clipNorm: number,
): { sum: Float64Array; norms: number[] } {
  const hidden = spec.hiddenUnits?.length ?? 0;
  const params = weightTensors(spec, data.d, weights);
  const sum = new Float64Array(weights.length);
  const norms: number[] = [];
  for (const row of rows) {
    // Float64 from here on: the reference's own norm, clip and sum add no float32 rounding.
    const gradient = Float64Array.from(
      tf.tidy(() => {
        const x = tf.tensor2d(data.x.slice(row * data.d, (row + 1) * data.d), [1, data.d]);
        const y = tf.tensor2d([data.y[row]], [1, 1]);
        const loss = (...p: tf.Tensor[]): tf.Scalar => {
          let h: tf.Tensor = x;
          for (let l = 0; l <= hidden; l++) {
            h = tf.add(tf.matMul(h as tf.Tensor2D, p[2 * l] as tf.Tensor2D), p[2 * l + 1]);
            if (l < hidden) h = tf.relu(h);
          }
          return tf.losses.sigmoidCrossEntropy(y, h, undefined, 0, tf.Reduction.SUM);
        };
        const grads = tf.grads(loss)(params);
        return tf.concat(grads.map((g) => g.reshape([-1]))).dataSync<'float32'>();
      }),
    );
    const norm = Math.sqrt(gradient.reduce((s, v) => s + v * v, 0));
    norms.push(norm);
    const scale = Math.min(1, clipNorm / norm);
    gradient.forEach((v, j) => (sum[j] += scale * v));
  }
  tf.dispose(params);
  return { sum, norms };
}

function expectRelativelyClose(actual: Float32Array, expected: ArrayLike<number>, tolerance: number): void {
  expect(actual.length).toBe(expected.length);
  let scale = 0;
  for (let j = 0; j < expected.length; j++) scale = Math.max(scale, Math.abs(expected[j]));
  expect(scale).toBeGreaterThan(0);
  let worst = 0;
  for (let j = 0; j < expected.length; j++)
    worst = Math.max(worst, Math.abs(actual[j] - expected[j]) / scale);
  expect(worst).toBeLessThanOrEqual(tolerance);
}

/** Halfway between the two middle values, so no record's norm sits on C where float32 rounding would decide. */
function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const k = Math.floor(sorted.length / 2);
  return (sorted[k - 1] + sorted[k]) / 2;
}

describe('dpGradientStep', () => {
  beforeAll(async () => {
    await initTensorflow('wasm');
  });

  describe.each([
    ['logreg', logreg],
    ['mlp [8]', mlp8],
  ])('%s: matches a naive per-record loop (tf.grads, clip, sum)', (_name, spec) => {
    const data = randomData(40, D, 5);
    const weights = randomWeights(spec, D, 6);
    const all = Array.from({ length: data.n }, (_, i) => i);
    let clipNorm = 0;
    beforeAll(() => {
      // The median unclipped norm as C: half the records are clipped, so clipping certainly binds.
      clipNorm = median(naiveClippedSum(spec, weights, data, all, Infinity).norms);
    });

    it('with every record (q = 1)', async () => {
      const reference = naiveClippedSum(spec, weights, data, all, clipNorm);
      const result = await dpGradientStep(spec, D, weights, data, { samplingRate: 1, clipNorm, seed: 1 });
      expect(result.sampled).toBe(data.n);
      expect(result.clipped).toBe(reference.norms.filter((n) => n > clipNorm).length);
      expect(result.clipped).toBeGreaterThan(0);
      expect(result.clipped).toBeLessThan(data.n);
      expectRelativelyClose(result.clippedGradientSum, reference.sum, 1e-5);
    });

    it('with a Poisson sample (q = 0.5), on exactly the sampled records', async () => {
      const rows = poissonSample(data.n, 0.5, 77);
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.length).toBeLessThan(data.n);
      const reference = naiveClippedSum(spec, weights, data, rows, clipNorm);
      const result = await dpGradientStep(spec, D, weights, data, { samplingRate: 0.5, clipNorm, seed: 77 });
      expect(result.sampled).toBe(rows.length);
      expect(result.clipped).toBe(reference.norms.filter((n) => n > clipNorm).length);
      expectRelativelyClose(result.clippedGradientSum, reference.sum, 1e-5);
    });
  });

  it('sums across chunks exactly as one pass would (a sample larger than one chunk)', async () => {
    const data = randomData(2300, D, 9);
    const weights = randomWeights(mlp8, D, 10);
    const all = Array.from({ length: data.n }, (_, i) => i);
    const reference = naiveClippedSum(mlp8, weights, data, all, 1);
    const result = await dpGradientStep(mlp8, D, weights, data, { samplingRate: 1, clipNorm: 1, seed: 3 });
    expect(result.sampled).toBe(2300);
    expect(result.clipped).toBe(reference.norms.filter((n) => n > 1).length);
    expectRelativelyClose(result.clippedGradientSum, reference.sum, 1e-5);
  });

  it.each([
    ['logreg', logreg],
    ['mlp [8]', mlp8],
  ])('%s: with q = 1 and a huge C, is the plain full-batch gradient sum', async (_name, spec) => {
    const data = randomData(50, D, 11);
    const weights = randomWeights(spec, D, 12);
    const layers = modelArchitecture(spec, D);
    const params = weightTensors(spec, D, weights);
    // The training code's own loss is a mean, so n times its gradient is the sum over records.
    const expected = tf.tidy(() => {
      const x = tf.tensor2d(data.x, [data.n, D]);
      const y = tf.tensor2d(data.y, [data.n, 1]);
      const grads = tf.grads((...p: tf.Tensor[]) => binaryCrossEntropyWithLogits(logitsOf(layers, p, x), y))(
        params,
      );
      return tf.mul(tf.concat(grads.map((g) => g.reshape([-1]))), data.n).dataSync();
    });
    tf.dispose(params);
    const result = await dpGradientStep(spec, D, weights, data, { samplingRate: 1, clipNorm: 1e9, seed: 2 });
    expect(result.clipped).toBe(0);
    expectRelativelyClose(result.clippedGradientSum, expected, 1e-5);
  });

  it('is deterministic for a seed and samples differently for another', async () => {
    const data = randomData(300, D, 13);
    const weights = randomWeights(mlp8, D, 14);
    const opts = { samplingRate: 0.2, clipNorm: 0.5, seed: 123 };
    const a = await dpGradientStep(mlp8, D, weights, data, opts);
    const b = await dpGradientStep(mlp8, D, weights, data, opts);
    expect(b.sampled).toBe(a.sampled);
    expect(b.clipped).toBe(a.clipped);
    expect(Array.from(b.clippedGradientSum)).toEqual(Array.from(a.clippedGradientSum));
    const c = await dpGradientStep(mlp8, D, weights, data, { ...opts, seed: 124 });
    expect(Array.from(c.clippedGradientSum)).not.toEqual(Array.from(a.clippedGradientSum));
  });

  it('samples Poisson(q) record counts: mean qN and variance Nq(1 − q) over many seeds', async () => {
    const n = 400;
    const q = 0.1;
    const seeds = 300;
    const data = randomData(n, D, 15);
    const weights = randomWeights(logreg, D, 16);
    const sizes: number[] = [];
    for (let seed = 0; seed < seeds; seed++) {
      const { sampled } = await dpGradientStep(logreg, D, weights, data, {
        samplingRate: q,
        clipNorm: 1,
        seed,
      });
      sizes.push(sampled);
    }
    const mean = sizes.reduce((s, v) => s + v, 0) / seeds;
    const variance = sizes.reduce((s, v) => s + (v - mean) ** 2, 0) / (seeds - 1);
    const binomialVariance = n * q * (1 - q);
    // Four standard errors: the mean's is sqrt(Var / k); the sample variance's is about Var·sqrt(2 / (k − 1)).
    expect(Math.abs(mean - n * q)).toBeLessThan(4 * Math.sqrt(binomialVariance / seeds));
    expect(Math.abs(variance - binomialVariance)).toBeLessThan(
      4 * binomialVariance * Math.sqrt(2 / (seeds - 1)),
    );
  });

  it('returns zeros when nothing is sampled', async () => {
    const data = randomData(3, D, 17);
    const weights = randomWeights(logreg, D, 18);
    // Seed 0 happens to sample none of three records at q = 1e-6; the expectation checks that premise.
    expect(poissonSample(3, 1e-6, 0).length).toBe(0);
    const result = await dpGradientStep(logreg, D, weights, data, {
      samplingRate: 1e-6,
      clipNorm: 1,
      seed: 0,
    });
    expect(result).toMatchObject({ sampled: 0, clipped: 0 });
    expect(Array.from(result.clippedGradientSum)).toEqual(new Array(weights.length).fill(0));
  });

  it('leaves no tensors behind, over one chunk or several', async () => {
    const small = randomData(100, D, 19);
    const large = randomData(2500, D, 20);
    const weights = randomWeights(mlp8, D, 21);
    const opts = { samplingRate: 1, clipNorm: 1, seed: 4 };
    // The first call builds the cached model, whose variables stay.
    await dpGradientStep(mlp8, D, weights, small, opts);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      await dpGradientStep(mlp8, D, weights, small, opts);
      await dpGradientStep(mlp8, D, weights, large, opts);
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses options the accountant cannot use', async () => {
    const data = randomData(5, D, 22);
    const weights = randomWeights(logreg, D, 23);
    const run = (opts: Partial<{ samplingRate: number; clipNorm: number; seed: number }>) =>
      dpGradientStep(logreg, D, weights, data, { samplingRate: 0.5, clipNorm: 1, seed: 1, ...opts });
    for (const samplingRate of [0, -0.1, 1.5, NaN]) {
      await expect(run({ samplingRate })).rejects.toMatchObject({ code: 'INVALID_OPTIONS' });
    }
    for (const clipNorm of [0, -1, Infinity, NaN]) {
      await expect(run({ clipNorm })).rejects.toMatchObject({ code: 'INVALID_OPTIONS' });
    }
    await expect(run({ seed: 1.5 })).rejects.toMatchObject({ code: 'INVALID_OPTIONS' });
    await expect(
      dpGradientStep(logreg, D, weights.subarray(1), data, { samplingRate: 1, clipNorm: 1, seed: 1 }),
    ).rejects.toThrow(/global model/);
  });
});

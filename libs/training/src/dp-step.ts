// One silo's share of a central DP-SGD step (Abadi et al. 2016, "Deep Learning with Differential Privacy", Alg. 1).
import type { ModelSpec } from '@cohort/protocol';
import * as tf from '@tensorflow/tfjs';
import { assertLabelledData, type LabelledData } from './data.js';
import { TrainingError } from './errors.js';
import { withModel } from './model-cache.js';
import { clippedGradientSum } from './per-example-clip.js';
import { assertSamplingRate, poissonSample } from './poisson-sample.js';
import { setFlatWeights } from './tf-model.js';

export interface DpStepOptions {
  /** q: each training record joins the round's sample independently with this probability, in (0, 1]. */
  samplingRate: number;
  /** C: each record's gradient is scaled down to at most this ℓ2 norm. */
  clipNorm: number;
  /** Fixes the Poisson sample. Must be secret to the silo in production: the accountant assumes it is unpredictable. */
  seed: number;
}

export interface DpStepResult {
  /** Sum over the sampled records of each record's gradient clipped to clipNorm (NOT averaged, NOT noised). */
  clippedGradientSum: Float32Array;
  /** How many records were sampled (stays at the silo: in DP mode no true count leaves it). */
  sampled: number;
  /** How many of them were clipped (norm > C), a local diagnostic. */
  clipped: number;
  trainMs: number;
}

/**
 * Records per forward/backward pass: large enough that a typical silo's sample is one pass, small enough to bound
 * the activations kept for the backward pass (chunk × widest layer floats per layer).
 */
const CHUNK = 1024;

/** Long samples hand the event loop back this often, so a silo keeps answering heartbeats (as runSgd does). */
const YIELD_EVERY_MS = 25;

/**
 * Poisson-samples the training records with rate q, computes each sampled record's gradient of its binary
 * cross-entropy at `weights`, clips it to `clipNorm` and returns the sum, in `modelLayout` order.
 *
 * Noise is not added here: the enclave adds N(0, σ²C²) once to the sum over silos, which is then exactly the
 * noised clipped sum of central DP-SGD over the union of the data (Poisson sampling of the union is Poisson
 * sampling of each silo, and a sum of per-record clipped terms does not care where a record lives).
 */
export async function dpGradientStep(
  spec: ModelSpec,
  inputDim: number,
  weights: Float32Array,
  data: LabelledData,
  opts: DpStepOptions,
): Promise<DpStepResult> {
  assertLabelledData(data, inputDim, 'training data');
  assertDpOptions(opts);
  return withModel(spec, inputDim, async ({ model, layers, variables }) => {
    const started = performance.now();
    setFlatWeights(model, weights, 'global model');
    const sample = poissonSample(data.n, opts.samplingRate, opts.seed);
    if (sample.length === 0) {
      return {
        clippedGradientSum: new Float32Array(weights.length),
        sampled: 0,
        clipped: 0,
        trainMs: performance.now() - started,
      };
    }

    // Running sums across chunks, kept outside any tidy; replaced (and the old ones disposed) after each chunk.
    let sums: tf.Tensor[] = variables.map((v) => tf.zerosLike(v));
    let clippedCount: tf.Scalar = tf.scalar(0, 'int32');
    let lastYield = performance.now();
    try {
      for (let start = 0; start < sample.length; start += CHUNK) {
        const [x, y] = gatherRows(data, sample.subarray(start, start + CHUNK));
        const previous = [...sums, clippedCount];
        const next = tf.tidy(() => {
          const chunk = clippedGradientSum(
            layers,
            variables,
            tf.tensor2d(x, [y.length, data.d]),
            tf.tensor2d(y, [y.length, 1]),
            opts.clipNorm,
          );
          return {
            sums: chunk.gradients.map((g, i) => tf.add(sums[i], g)),
            clipped: tf.add<tf.Scalar>(clippedCount, chunk.clipped),
          };
        });
        sums = next.sums;
        clippedCount = next.clipped;
        tf.dispose(previous);
        if (performance.now() - lastYield > YIELD_EVERY_MS) {
          await new Promise<void>((resolve) => setImmediate(resolve));
          lastYield = performance.now();
        }
      }
      // One download for the whole vector: layout order is kernel then bias per layer, each row-major.
      const packed = tf.tidy(() => tf.concat(sums.map((g) => g.reshape([-1]))).dataSync<'float32'>());
      const clipped = clippedCount.dataSync()[0];
      return {
        // A copy: the cpu backend may hand back its own buffer.
        clippedGradientSum: Float32Array.from(packed),
        sampled: sample.length,
        clipped,
        trainMs: performance.now() - started,
      };
    } finally {
      tf.dispose([...sums, clippedCount]);
    }
  });
}

function assertDpOptions(opts: DpStepOptions): void {
  assertSamplingRate(opts.samplingRate);
  if (!Number.isFinite(opts.clipNorm) || opts.clipNorm <= 0) {
    throw new TrainingError('INVALID_OPTIONS', `clipNorm must be a positive number, got ${opts.clipNorm}`);
  }
  if (!Number.isSafeInteger(opts.seed)) {
    throw new TrainingError('INVALID_OPTIONS', `seed must be an integer, got ${opts.seed}`);
  }
}

/** The features and labels of the given rows, copied so only the sample is uploaded to the backend. */
function gatherRows(data: LabelledData, rows: Uint32Array): [Float32Array, Float32Array] {
  const { d } = data;
  const x = new Float32Array(rows.length * d);
  const y = new Float32Array(rows.length);
  rows.forEach((row, i) => {
    x.set(data.x.subarray(row * d, row * d + d), i * d);
    y[i] = data.y[row];
  });
  return [x, y];
}

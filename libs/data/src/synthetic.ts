// A seeded binary-classification generator for scale tests: each silo's features are Gaussian around a mean of
// its own (covariate shift, as between hospitals), and labels follow one logistic teacher shared by all silos,
// so a federated model has something real to learn whatever the number of silos or features.
import { mulberry32 } from './prng.js';

export interface SyntheticRows {
  /** Row-major, rows × features. */
  x: Float32Array;
  y: Uint8Array;
  rows: number;
  features: number;
}

function normal(random: () => number): number {
  return Math.sqrt(-2 * Math.log(random() || Number.MIN_VALUE)) * Math.cos(2 * Math.PI * random());
}

/** The teacher's weights: a function of the federation's seed alone, the same at every silo. */
function teacher(features: number, seed: number): Float64Array {
  const random = mulberry32(seed ^ 0x5eed);
  const w = new Float64Array(features);
  for (let j = 0; j < features; j++) w[j] = normal(random) / Math.sqrt(features);
  return w;
}

/** Rows of silo `silo`: x ~ N(μ_silo, 1) per feature, y ~ Bernoulli(sigmoid(3·(x − μ̄)·w)). */
export function syntheticRows(
  rows: number,
  features: number,
  seed: number,
  silo: number,
  shift = 0.3,
): SyntheticRows {
  if (!Number.isInteger(rows) || rows < 1) throw new RangeError(`rows must be a positive integer, got ${rows}`);
  if (!Number.isInteger(features) || features < 1) {
    throw new RangeError(`features must be a positive integer, got ${features}`);
  }
  const w = teacher(features, seed);
  const random = mulberry32((seed * 7919 + silo * 104_729) >>> 0);
  const mean = Float64Array.from({ length: features }, () => shift * normal(random));
  const x = new Float32Array(rows * features);
  const y = new Uint8Array(rows);
  for (let i = 0; i < rows; i++) {
    let logit = 0;
    for (let j = 0; j < features; j++) {
      const noise = normal(random);
      x[i * features + j] = mean[j] + noise;
      // The label depends on the deviation from the silo's mean, so every silo sees both classes.
      logit += noise * w[j];
    }
    y[i] = random() < 1 / (1 + Math.exp(-3 * logit)) ? 1 : 0;
  }
  return { x, y, rows, features };
}

/** A one-hidden-layer MLP's shape with about `parameters` weights: d inputs, h units, (d+2)·h + 1 in all. */
export function mlpShapeFor(parameters: number): { features: number; hiddenUnits: number; parameters: number } {
  if (!(parameters >= 7)) throw new RangeError(`a model needs at least 7 parameters, got ${parameters}`);
  const features = Math.max(2, Math.min(1000, Math.round(Math.sqrt(parameters))));
  const hiddenUnits = Math.max(1, Math.min(4096, Math.round((parameters - 1) / (features + 2))));
  return { features, hiddenUnits, parameters: (features + 2) * hiddenUnits + 1 };
}

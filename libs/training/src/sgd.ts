import { createRandom, shuffledIndices } from '@cohort/model';
import * as tf from '@tensorflow/tfjs';
import type { CachedModel } from './model-cache.js';
import type { LabelledData } from './data.js';
import { logitsOf } from './forward.js';
import { binaryCrossEntropyWithLogits } from './loss.js';

export interface SgdOptions {
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** Fixes the order of examples in every epoch, so a seed replays exactly. */
  seed: number;
}

/** Long runs hand the event loop back this often, so a silo keeps answering heartbeats while it trains. */
const YIELD_EVERY_MS = 25;

/**
 * Minibatch SGD on mean binary cross-entropy, in place on the model's variables. Epoch e visits the examples in
 * the e-th permutation `shuffledIndices` draws from `createRandom(seed)`; the last batch may be short.
 * A hand-written loop rather than model.fit: no compiled model, a fraction of the cost per batch, and room for
 * per-example clipping later.
 */
export async function runSgd(cached: CachedModel, data: LabelledData, options: SgdOptions): Promise<void> {
  const { layers, variables } = cached;
  const { n, d } = data;
  const random = createRandom(options.seed);
  const optimizer = tf.train.sgd(options.learningRate);
  const x = tf.tensor2d(data.x, [n, d]);
  const y = tf.tensor2d(data.y, [n, 1]);
  let lastYield = performance.now();
  try {
    for (let epoch = 0; epoch < options.epochs; epoch++) {
      const order = Int32Array.from(shuffledIndices(n, random));
      const [xs, ys] = tf.tidy(() => {
        const indices = tf.tensor1d(order, 'int32');
        return [tf.gather(x, indices), tf.gather(y, indices)];
      });
      try {
        for (let start = 0; start < n; start += options.batchSize) {
          const size = Math.min(options.batchSize, n - start);
          tf.tidy(() => {
            const xb = xs.slice([start, 0], [size, d]);
            const yb = ys.slice([start, 0], [size, 1]);
            optimizer.minimize(
              () => binaryCrossEntropyWithLogits(logitsOf(layers, variables, xb), yb),
              false,
              variables,
            );
          });
          if (performance.now() - lastYield > YIELD_EVERY_MS) {
            await new Promise<void>((resolve) => setImmediate(resolve));
            lastYield = performance.now();
          }
        }
      } finally {
        tf.dispose([xs, ys]);
      }
    }
  } finally {
    tf.dispose([x, y]);
    optimizer.dispose();
  }
}

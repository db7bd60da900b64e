import type { ModelSpec } from '@cohort/protocol';
import * as tf from '@tensorflow/tfjs';
import { assertLabelledData, type LabelledData } from './data.js';
import { withModel } from './model-cache.js';
import { setFlatWeights } from './tf-model.js';
import { trainingThread } from './training-thread.js';

export interface Predictions {
  /** Predicted probability of the positive class, one per example. */
  scores: Float32Array;
  /** The true 0/1 labels, aligned with `scores`. */
  labels: Float32Array;
}

/** Large enough that a held-out set is usually one forward pass; small enough to bound activation memory. */
const PREDICT_BATCH = 8192;

/** Scores a held-out set with the given weights (feed the result to `binaryMetrics`). */
export async function evaluateModel(
  spec: ModelSpec,
  inputDim: number,
  weights: Float32Array,
  data: LabelledData,
): Promise<Predictions> {
  assertLabelledData(data, inputDim, 'evaluation data');
  const thread = trainingThread();
  if (thread) return thread.call<Predictions>({ op: 'evaluate', spec, inputDim, weights, data });
  return withModel(spec, inputDim, ({ model }) => {
    setFlatWeights(model, weights, 'model to evaluate');
    const scores = tf.tidy(() => {
      const x = tf.tensor2d(data.x, [data.n, data.d]);
      const output = model.predict(x, { batchSize: PREDICT_BATCH }) as tf.Tensor;
      return output.dataSync<'float32'>();
    });
    // Copies: the cpu backend may hand back its own buffer, and the caller's labels must not be aliased.
    return { scores: Float32Array.from(scores), labels: Float32Array.from(data.y) };
  });
}

import type { ModelSpec } from '@cohort/protocol';
import { assertLabelledData, type LabelledData } from './data.js';
import { TrainingError } from './errors.js';
import { withModel } from './model-cache.js';
import { runSgd, type SgdOptions } from './sgd.js';
import { getFlatWeights, setFlatWeights } from './tf-model.js';
import { trainingThread } from './training-thread.js';

export type LocalTrainingOptions = SgdOptions;

export interface LocalTrainingResult {
  /** The locally trained weights, in `modelLayout` order. */
  weights: Float32Array;
  /** weights − globalWeights: what a silo uploads. */
  delta: Float32Array;
  trainMs: number;
  examples: number;
}

/**
 * One silo's local training for one round: start from the global weights and run `epochs` of minibatch SGD on
 * binary cross-entropy. The same inputs and seed give bit-identical results on the same backend.
 */
export async function trainLocal(
  spec: ModelSpec,
  inputDim: number,
  globalWeights: Float32Array,
  data: LabelledData,
  options: LocalTrainingOptions,
): Promise<LocalTrainingResult> {
  assertLabelledData(data, inputDim, 'training data');
  assertOptions(options);
  const thread = trainingThread();
  if (thread) {
    return thread.call<LocalTrainingResult>({
      op: 'train',
      spec,
      inputDim,
      weights: globalWeights,
      data,
      options,
    });
  }
  return withModel(spec, inputDim, async (cached) => {
    const started = performance.now();
    setFlatWeights(cached.model, globalWeights, 'global model');
    await runSgd(cached, data, options);
    const weights = getFlatWeights(cached.model);
    const delta = new Float32Array(weights.length);
    for (let i = 0; i < weights.length; i++) {
      if (!Number.isFinite(weights[i])) {
        throw new TrainingError(
          'TRAINING_DIVERGED',
          `local training produced a non-finite weight (${weights[i]}) at index ${i}; ` +
            `the learning rate (${options.learningRate}) is probably too high`,
        );
      }
      delta[i] = weights[i] - globalWeights[i];
    }
    return { weights, delta, trainMs: performance.now() - started, examples: data.n };
  });
}

function assertOptions(options: LocalTrainingOptions): void {
  const { epochs, batchSize, learningRate, seed } = options;
  if (!Number.isSafeInteger(epochs) || epochs < 1) {
    throw new TrainingError('INVALID_OPTIONS', `epochs must be a positive integer, got ${epochs}`);
  }
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
    throw new TrainingError('INVALID_OPTIONS', `batchSize must be a positive integer, got ${batchSize}`);
  }
  if (!Number.isFinite(learningRate) || learningRate <= 0) {
    throw new TrainingError('INVALID_OPTIONS', `learningRate must be a positive number, got ${learningRate}`);
  }
  if (!Number.isSafeInteger(seed)) {
    throw new TrainingError('INVALID_OPTIONS', `seed must be an integer, got ${seed}`);
  }
}

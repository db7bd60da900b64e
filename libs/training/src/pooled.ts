import { deriveSeed } from '@cohort/model';
import type { ModelSpec } from '@cohort/protocol';
import { concatData, type LabelledData } from './data.js';
import { TrainingError } from './errors.js';
import { trainLocal, type LocalTrainingOptions } from './local-train.js';

export interface PooledTrainingResult {
  weights: Float32Array;
  trainMs: number;
  examples: number;
  /** rounds × options.epochs: the passes over the data each example gets in the federated run too. */
  epochs: number;
}

/**
 * The centrally trained baseline: the same training code on the union of the silos' data, for `rounds` rounds of
 * `options.epochs` epochs, so it sees each example as often as the federated run does. Round r shuffles with
 * deriveSeed(options.seed, r). `onRound` sees the weights after each round (e.g. to plot a learning curve).
 */
export async function trainPooled(
  spec: ModelSpec,
  inputDim: number,
  initial: Float32Array,
  data: LabelledData | readonly LabelledData[],
  options: LocalTrainingOptions,
  rounds: number,
  onRound?: (round: number, weights: Float32Array) => void | Promise<void>,
): Promise<PooledTrainingResult> {
  if (!Number.isSafeInteger(rounds) || rounds < 1) {
    throw new TrainingError('INVALID_OPTIONS', `rounds must be a positive integer, got ${rounds}`);
  }
  const pooled = isSingle(data) ? data : concatData(data);
  let weights = initial;
  let trainMs = 0;
  for (let round = 1; round <= rounds; round++) {
    const result = await trainLocal(spec, inputDim, weights, pooled, {
      ...options,
      seed: deriveSeed(options.seed, round),
    });
    weights = result.weights;
    trainMs += result.trainMs;
    await onRound?.(round, weights);
  }
  return { weights, trainMs, examples: pooled.n, epochs: rounds * options.epochs };
}

function isSingle(data: LabelledData | readonly LabelledData[]): data is LabelledData {
  return !Array.isArray(data);
}

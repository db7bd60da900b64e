import type { TensorLayout } from '@cohort/protocol';
import { ModelError } from './errors.js';
import { parameterCount, tensorSize } from './layout.js';

/**
 * Throws a ModelError unless `weights` has exactly one finite value per parameter of `layout`.
 * `what` names the vector in the message ("update has 12 values, the model has 11 parameters").
 */
export function assertWeightsMatch(
  layout: readonly TensorLayout[],
  weights: ArrayLike<number>,
  what = 'update',
): void {
  const expected = parameterCount(layout);
  if (weights.length !== expected) {
    throw new ModelError(
      'WEIGHTS_LENGTH_MISMATCH',
      `${what} has ${weights.length} values, the model has ${expected} parameters`,
    );
  }
  const i = weights instanceof Float32Array ? firstNonFiniteFloat32(weights) : firstNonFinite(weights);
  if (i >= 0) {
    throw new ModelError(
      'WEIGHTS_NOT_FINITE',
      `${what} has a non-finite value (${weights[i]}) at index ${i}, in ${tensorAt(layout, i)}`,
    );
  }
}

// Two loops, so the one every model goes through only ever sees Float32Arrays: a loop shared with other array
// kinds reads elements through a generic path several times slower, and a model has millions of them.
/** The index of the first NaN or infinity, or -1. */
export function firstNonFiniteFloat32(values: Float32Array): number {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) return i;
  }
  return -1;
}

function firstNonFinite(values: ArrayLike<number>): number {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) return i;
  }
  return -1;
}

function tensorAt(layout: readonly TensorLayout[], index: number): string {
  let end = 0;
  for (const tensor of layout) {
    end += tensorSize(tensor);
    if (index < end) return tensor.name;
  }
  return 'no tensor';
}

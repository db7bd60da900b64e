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
  for (let i = 0; i < weights.length; i++) {
    if (!Number.isFinite(weights[i])) {
      throw new ModelError(
        'WEIGHTS_NOT_FINITE',
        `${what} has a non-finite value (${weights[i]}) at index ${i}, in ${tensorAt(layout, i)}`,
      );
    }
  }
}

function tensorAt(layout: readonly TensorLayout[], index: number): string {
  let end = 0;
  for (const tensor of layout) {
    end += tensorSize(tensor);
    if (index < end) return tensor.name;
  }
  return 'no tensor';
}

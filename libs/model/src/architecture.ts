// The single description of each template's layers: the layout, the initialiser and the TensorFlow.js builder
// all derive from it, so they cannot disagree about shapes or order.
import type { ModelSpec } from '@cohort/protocol';
import { ModelError } from './errors.js';

export const MODEL_TEMPLATES = ['logreg', 'mlp'] as const;
export type ModelTemplate = (typeof MODEL_TEMPLATES)[number];

/** Hidden layers of an `mlp` whose spec lists none (proto3 cannot tell an empty list from an absent one). */
export const DEFAULT_MLP_HIDDEN_UNITS: readonly number[] = [16];

export type DenseActivation = 'relu' | 'sigmoid';

export interface DenseLayer {
  /** Layer name; its tensors are `<name>/kernel` and `<name>/bias`. */
  name: string;
  inputUnits: number;
  units: number;
  activation: DenseActivation;
}

function isTemplate(t: string): t is ModelTemplate {
  return (MODEL_TEMPLATES as readonly string[]).includes(t);
}

function assertPositiveInteger(value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new ModelError('INVALID_MODEL_SPEC', `${what} must be a positive integer, got ${value}`);
  }
}

/** The hidden layer widths a spec means, after defaults; throws a ModelError for a spec no template accepts. */
export function hiddenUnitsOf(spec: ModelSpec): number[] {
  if (!isTemplate(spec.template)) {
    throw new ModelError(
      'INVALID_MODEL_SPEC',
      `unknown model template '${spec.template}' (expected one of: ${MODEL_TEMPLATES.join(', ')})`,
    );
  }
  const hidden = spec.hiddenUnits ?? [];
  if (spec.template === 'logreg') {
    // Silently ignoring them would train a different model from the one the researcher asked for.
    if (hidden.length > 0) {
      throw new ModelError(
        'INVALID_MODEL_SPEC',
        `template 'logreg' has no hidden layers, but hiddenUnits is [${hidden.join(', ')}]; use template 'mlp'`,
      );
    }
    return [];
  }
  const units = hidden.length > 0 ? [...hidden] : [...DEFAULT_MLP_HIDDEN_UNITS];
  units.forEach((u, i) => assertPositiveInteger(u, `hiddenUnits[${i}]`));
  return units;
}

/** The dense layers of a model, input to output: relu hidden layers, then one sigmoid unit. */
export function modelArchitecture(spec: ModelSpec, inputDim: number): DenseLayer[] {
  assertPositiveInteger(inputDim, 'inputDim');
  const widths = [...hiddenUnitsOf(spec), 1];
  let inputUnits = inputDim;
  return widths.map((units, i) => {
    const layer: DenseLayer = {
      name: `dense_${i}`,
      inputUnits,
      units,
      activation: i === widths.length - 1 ? 'sigmoid' : 'relu',
    };
    inputUnits = units;
    return layer;
  });
}

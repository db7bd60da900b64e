import type { ModelSpec, TensorLayout } from '@cohort/protocol';
import { modelArchitecture } from './architecture.js';

/**
 * The tensors of a model in the order their values appear in a packed weight vector, which is the order
 * TensorFlow.js `model.getWeights()` returns them: per dense layer, kernel [in, out] then bias [out].
 */
export function modelLayout(spec: ModelSpec, inputDim: number): TensorLayout[] {
  return modelArchitecture(spec, inputDim).flatMap((layer) => [
    { name: `${layer.name}/kernel`, shape: [layer.inputUnits, layer.units] },
    { name: `${layer.name}/bias`, shape: [layer.units] },
  ]);
}

export function tensorSize(tensor: TensorLayout): number {
  return tensor.shape.reduce((product, dim) => product * dim, 1);
}

export function parameterCount(layout: readonly TensorLayout[]): number {
  return layout.reduce((sum, tensor) => sum + tensorSize(tensor), 0);
}

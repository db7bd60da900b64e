import type { ModelSpec } from '@cohort/protocol';
import { modelArchitecture } from './architecture.js';
import { modelLayout, parameterCount } from './layout.js';
import { createRandom } from './random.js';

/**
 * Round-0 weights: Glorot-uniform kernels (limit sqrt(6 / (fanIn + fanOut)), as Keras does for Dense) and zero
 * biases, in `modelLayout` order. Pure, so the aggregator can create them without loading TensorFlow.js.
 */
export function initialWeights(spec: ModelSpec, inputDim: number, seed: number): Float32Array {
  const weights = new Float32Array(parameterCount(modelLayout(spec, inputDim)));
  const random = createRandom(seed);
  let offset = 0;
  for (const layer of modelArchitecture(spec, inputDim)) {
    const kernelSize = layer.inputUnits * layer.units;
    const limit = Math.sqrt(6 / (layer.inputUnits + layer.units));
    for (let i = 0; i < kernelSize; i++) weights[offset + i] = (2 * random() - 1) * limit;
    // The bias that follows is already zero.
    offset += kernelSize + layer.units;
  }
  return weights;
}

import { assertWeightsMatch, modelArchitecture } from '@cohort/model';
import type { ModelSpec, TensorLayout } from '@cohort/protocol';
import * as tf from '@tensorflow/tfjs';

/**
 * A TensorFlow.js model for `spec`: one named dense layer per entry of `modelArchitecture`, so its weights come
 * out of `getWeights()` in `modelLayout` order. Its own random initial weights are meaningless (callers always
 * set packed weights), but the Keras-default initialisers keep the exported topology a normal, trainable one.
 */
export function buildTfModel(spec: ModelSpec, inputDim: number): tf.Sequential {
  const model = tf.sequential();
  modelArchitecture(spec, inputDim).forEach((layer, i) =>
    model.add(
      tf.layers.dense({
        name: layer.name,
        units: layer.units,
        activation: layer.activation,
        inputShape: i === 0 ? [inputDim] : undefined,
      }),
    ),
  );
  return model;
}

/** The layout of an existing model, read from its variables (names without TensorFlow.js uniqueness suffixes). */
export function tfModelLayout(model: tf.LayersModel): TensorLayout[] {
  return model.weights.map((w) => ({ name: w.originalName, shape: [...w.read().shape] }));
}

/** Loads a packed weight vector into the model; throws a ModelError (naming `what`) when it does not fit. */
export function setFlatWeights(model: tf.LayersModel, weights: Float32Array, what = 'weight vector'): void {
  assertWeightsMatch(tfModelLayout(model), weights, what);
  // The cpu backend keeps the array it is given, which must not alias the caller's: it gets a copy. The others
  // (wasm, native) copy into their own memory, so a view spares a copy of the whole model per call.
  const keepsInput = tf.getBackend() === 'cpu';
  let offset = 0;
  for (const variable of model.weights) {
    // A LayerVariable's own shape may hold nulls; the tensor behind it has a concrete one.
    const { shape, size } = variable.read();
    const values = keepsInput
      ? weights.slice(offset, offset + size)
      : weights.subarray(offset, offset + size);
    const value = tf.tensor(values, shape, 'float32');
    variable.write(value);
    // The variable now holds its own reference to the data.
    value.dispose();
    offset += size;
  }
}

/** The model's weights as one packed vector in `modelLayout` order (a fresh copy). */
export function getFlatWeights(model: tf.LayersModel): Float32Array {
  // read() returns the live variables, which must not be disposed.
  const tensors = model.weights.map((w) => w.read());
  const out = new Float32Array(tensors.reduce((n, t) => n + t.size, 0));
  let offset = 0;
  for (const tensor of tensors) {
    const values = tensor.dataSync<'float32'>();
    out.set(values, offset);
    offset += values.length;
  }
  return out;
}

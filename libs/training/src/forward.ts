import type { DenseLayer } from '@cohort/model';
import * as tf from '@tensorflow/tfjs';

/**
 * The model's output before its final sigmoid, computed directly on its variables (kernel, bias per layer, in
 * layout order) so training can use the cheaper cross-entropy from logits. Mirrors `buildTfModel` exactly.
 */
export function logitsOf(
  layers: readonly DenseLayer[],
  variables: readonly tf.Tensor[],
  x: tf.Tensor2D,
): tf.Tensor2D {
  let h = x;
  layers.forEach((layer, i) => {
    const z = tf.add<tf.Tensor2D>(tf.matMul(h, variables[2 * i]), variables[2 * i + 1]);
    h = layer.activation === 'relu' ? tf.relu(z) : z;
  });
  return h;
}

import * as tf from '@tensorflow/tfjs';

const meanCrossEntropyFromLogits = tf.customGrad<tf.Scalar>((...inputs) => {
  const [z, y, save] = inputs as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
  save([z, y]);
  const perExample = tf.sub(tf.add(tf.relu(z), tf.log1p(tf.exp(tf.neg(tf.abs(z))))), tf.mul(z, y));
  return {
    value: tf.mean<tf.Scalar>(perExample),
    gradFunc: (dy, saved) => {
      const [zs, ys] = saved;
      const dz = tf.mul(dy, tf.div(tf.sub(tf.sigmoid(zs), ys), zs.shape[0] ?? 1));
      return [dz, tf.zerosLike(ys)];
    },
  };
});

/**
 * Mean binary cross-entropy of 0/1 labels `y` given logits `z` (same shape), in the overflow-free form
 * max(z, 0) − z·y + log(1 + e^−|z|), with the gradient (σ(z) − y) / m written out: a fraction of the ops
 * TensorFlow.js would otherwise differentiate through sigmoid, clip and log, which dominate a small batch.
 */
export function binaryCrossEntropyWithLogits(z: tf.Tensor, y: tf.Tensor): tf.Scalar {
  return meanCrossEntropyFromLogits(z, y);
}

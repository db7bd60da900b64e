// Per-example clipping by the outer-product norm identity (Goodfellow 2015, "Efficient per-example gradient computations").
import type { DenseLayer } from '@cohort/model';
import * as tf from '@tensorflow/tfjs';

const MIN_NORM = 1e-30;

export interface ClippedChunk {
  /** Σ_i c_i g_i for the chunk, one tensor per variable in layout order (kernel [in, out], bias [out] per layer). */
  gradients: tf.Tensor[];
  /** How many of the chunk's examples had ‖g_i‖ > C (int32 scalar). */
  clipped: tf.Scalar;
}

/**
 * For a dense network on binary cross-entropy from logits, the sum over the m examples of each example's own
 * gradient (of its unaveraged loss) clipped to ℓ2 norm `clipNorm`, in one forward and one hand-written backward
 * pass over the whole chunk.
 *
 * With layer inputs a_i and output-side gradients δ_i, example i's kernel gradient is the outer product a_i δ_iᵀ,
 * so ‖a_i δ_iᵀ‖²_F = ‖a_i‖²·‖δ_i‖² and its bias gradient is δ_i: every per-example norm comes from row norms of
 * tensors the backward pass has anyway, without materialising m gradients. The clipped sum is then
 * Σ_i c_i a_i δ_iᵀ = Aᵀ·diag(c)·Δ, one matmul per layer, the same one a normal step does.
 *
 * Mirrors `logitsOf` (relu hidden layers, linear last layer) and `binaryCrossEntropyWithLogits`, whose gradient
 * in the logit is σ(z) − y. The caller runs this inside tf.tidy and keeps what it returns.
 */
export function clippedGradientSum(
  layers: readonly DenseLayer[],
  variables: readonly tf.Tensor[],
  x: tf.Tensor2D,
  y: tf.Tensor2D,
  clipNorm: number,
): ClippedChunk {
  // Forward, keeping each layer's input and pre-activation: the backward pass and the norms need both.
  const inputs: tf.Tensor2D[] = [];
  const preActivations: tf.Tensor2D[] = [];
  let h = x;
  layers.forEach((layer, l) => {
    inputs.push(h);
    const z = tf.add<tf.Tensor2D>(tf.matMul(h, variables[2 * l]), variables[2 * l + 1]);
    preActivations.push(z);
    h = layer.activation === 'relu' ? tf.relu(z) : z;
  });

  // Backward, per example (no averaging over the chunk): δ_L = σ(z) − y, δ_{l−1} = (δ_l W_lᵀ) ⊙ 1[z_{l−1} > 0].
  const deltas = new Array<tf.Tensor2D>(layers.length);
  let delta = tf.sub<tf.Tensor2D>(tf.sigmoid(h), y);
  for (let l = layers.length - 1; l >= 0; l--) {
    deltas[l] = delta;
    if (l > 0) {
      // step(z) is 1 for z > 0 and 0 otherwise, the same subgradient tf.relu's own gradient uses at 0.
      delta = tf.mul(tf.matMul(delta, variables[2 * l], false, true), tf.step(preActivations[l - 1]));
    }
  }

  // ‖g_i‖² = Σ_l (‖a_{l,i}‖² + 1)·‖δ_{l,i}‖²: the kernel's outer product plus the bias, which is δ itself.
  let squaredNorms: tf.Tensor1D = tf.zeros([x.shape[0]]);
  layers.forEach((_, l) => {
    const inputSq = tf.add(tf.sum(tf.square(inputs[l]), 1), 1);
    squaredNorms = tf.add(squaredNorms, tf.mul(inputSq, tf.sum(tf.square(deltas[l]), 1)));
  });
  const norms = tf.sqrt(squaredNorms);
  // c_i = min(1, C/‖g_i‖); the floor (a normal float32) only keeps a zero gradient, whose c does not matter, from
  // dividing by zero.
  const scale = tf.minimum(1, tf.div(clipNorm, tf.maximum(norms, MIN_NORM))).expandDims(1);
  const clipped = tf.sum<tf.Scalar>(tf.cast(tf.greater(norms, clipNorm), 'int32'));

  const gradients = layers.flatMap((_, l) => {
    const scaledDelta = tf.mul(deltas[l], scale);
    return [tf.matMul(inputs[l], scaledDelta, true, false), tf.sum(scaledDelta, 0)];
  });
  return { gradients, clipped };
}

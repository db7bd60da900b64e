// The plain server step w ← w + ηΔ; η = 1 is FedAvg (Reddi et al. 2021, "Adaptive Federated Optimization", Algorithm 1 with SGD as ServerOpt).
import { assertFinite, assertInRange, assertLength } from './vectors.js';

/** Returns new weights; the inputs are not modified. */
export function serverSgdStep(weights: Float32Array, delta: Float32Array, learningRate = 1): Float32Array {
  assertInRange('learningRate', learningRate, 0, Infinity, { minExclusive: true });
  assertLength('delta', delta, weights.length);
  assertFinite('weights', weights);
  assertFinite('delta', delta);
  const out = new Float32Array(weights.length);
  for (let i = 0; i < out.length; i++) out[i] = weights[i] + learningRate * delta[i];
  assertFinite('updated weights', out);
  return out;
}

// Server momentum, FedAvgM (Hsu, Qi & Brown 2019, "Measuring the Effects of Non-Identical Data Distribution for Federated Visual Classification"; as SGDM ServerOpt in Reddi et al. 2021).
import { assertFinite, assertInRange, assertLength } from './vectors.js';

export interface FedAvgMParams {
  learningRate: number;
  /** β in [0, 1); 0 reduces this to the plain server step. */
  momentum: number;
}

/**
 * One step of v ← βv + Δ; w ← w + ηv, with v starting at 0 (so the first round equals a plain step).
 * Δ is local minus global (Reddi et al.'s pseudo-gradient sign), so the velocity is added, not subtracted.
 * Returns new arrays; the inputs are not modified.
 */
export function fedAvgMStep(
  weights: Float32Array,
  delta: Float32Array,
  velocity: Float32Array | undefined,
  params: FedAvgMParams,
): { weights: Float32Array; velocity: Float32Array } {
  assertInRange('learningRate', params.learningRate, 0, Infinity, { minExclusive: true });
  assertInRange('momentum', params.momentum, 0, 1);
  assertLength('delta', delta, weights.length);
  if (velocity) assertLength('momentum state', velocity, weights.length);
  assertFinite('weights', weights);
  assertFinite('delta', delta);
  const nextVelocity = new Float32Array(weights.length);
  const nextWeights = new Float32Array(weights.length);
  const { learningRate: eta, momentum: beta } = params;
  for (let i = 0; i < weights.length; i++) {
    const v = (velocity ? beta * velocity[i] : 0) + delta[i];
    nextVelocity[i] = v;
    // The step uses the stored float32 velocity, so a run resumed from saved state is bit-identical.
    nextWeights[i] = weights[i] + eta * nextVelocity[i];
  }
  assertFinite('updated weights', nextWeights);
  return { weights: nextWeights, velocity: nextVelocity };
}

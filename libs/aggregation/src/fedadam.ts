// FedAdam (Reddi et al. 2021, "Adaptive Federated Optimization", ICLR, Algorithm 2), without bias correction as in the paper.
import { assertFinite, assertInRange, assertLength } from './vectors.js';

export interface FedAdamParams {
  learningRate: number;
  beta1: number;
  beta2: number;
  /** τ, the degree of adaptivity; the paper finds 1e-3 works across tasks. */
  tau: number;
}

export interface FedAdamMoments {
  m: Float32Array;
  v: Float32Array;
}

/**
 * One step of m ← β₁m + (1−β₁)Δ; v ← β₂v + (1−β₂)Δ²; w ← w + η·m/(√v + τ).
 * Without saved moments, m starts at 0 and v at τ², the smallest value Algorithm 2 allows (v₋₁ ≥ τ²).
 * The paper omits bias correction, so for |Δ| ≫ τ the first step moves each coordinate by about
 * η(1−β₁)/√(1−β₂) where bias-corrected Adam would move it by about η (the same for β₁ = 0.9, β₂ = 0.99).
 * Returns new arrays; the inputs are not modified.
 */
export function fedAdamStep(
  weights: Float32Array,
  delta: Float32Array,
  moments: FedAdamMoments | undefined,
  params: FedAdamParams,
): { weights: Float32Array } & FedAdamMoments {
  assertInRange('learningRate', params.learningRate, 0, Infinity, { minExclusive: true });
  assertInRange('beta1', params.beta1, 0, 1);
  assertInRange('beta2', params.beta2, 0, 1);
  assertInRange('tau', params.tau, 0, Infinity, { minExclusive: true });
  assertLength('delta', delta, weights.length);
  if (moments) {
    assertLength('first-moment state', moments.m, weights.length);
    assertLength('second-moment state', moments.v, weights.length);
  }
  assertFinite('weights', weights);
  assertFinite('delta', delta);
  const { learningRate: eta, beta1, beta2, tau } = params;
  const n = weights.length;
  const m = new Float32Array(n);
  const v = new Float32Array(n);
  const out = new Float32Array(n);
  const v0 = tau * tau;
  for (let i = 0; i < n; i++) {
    const d = delta[i];
    m[i] = beta1 * (moments ? moments.m[i] : 0) + (1 - beta1) * d;
    v[i] = beta2 * (moments ? moments.v[i] : v0) + (1 - beta2) * d * d;
    // The step reads the stored float32 moments, so a run resumed from saved state is bit-identical.
    out[i] = weights[i] + (eta * m[i]) / (Math.sqrt(v[i]) + tau);
  }
  assertFinite('updated weights', out);
  return { weights: out, m, v };
}

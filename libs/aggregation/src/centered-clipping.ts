// Centered clipping (Karimireddy, He and Jaggi 2021, "Learning from History for Byzantine Robust Optimization", ICML, Algorithm 2 with the clipping radius τ fixed).
import { addSquaredDistancesToBlock, addWeightedBlock, SUM_BLOCK } from './blocked-sums.js';
import { AggregationError } from './errors.js';
import { maxWeightShareParam, resolveRuleParams, type RuleParamsSpec } from './rule-params.js';
import { cappedWeights, checkUpdates, DEFAULT_MAX_WEIGHT_SHARE, type SiloUpdate } from './updates.js';
import { assertFinite } from './vectors.js';

export type CenteredClippingParams = {
  /** τ: each update's pull on the centre is clipped to ℓ2 norm τ. */
  tau: number;
  /** L: clipping steps from the reference (default 3). */
  iterations?: number;
  /** The largest share of the total weight one site may carry (default 1/3); see cappedWeights. */
  maxWeightShare?: number;
};

export const CENTERED_CLIPPING_SPEC: RuleParamsSpec = {
  rule: 'centered-clipping',
  params: [
    {
      name: 'tau',
      description: "the ℓ2 norm each update's pull on the centre is clipped to, in the units of the updates",
      min: 0,
      max: Infinity,
      minExclusive: true,
    },
    {
      name: 'iterations',
      description: 'the number of clipping steps taken from the reference',
      min: 1,
      max: 100,
      maxInclusive: true,
      integer: true,
      default: 3,
    },
    maxWeightShareParam(DEFAULT_MAX_WEIGHT_SHARE),
  ],
};

/**
 * From v = reference (last round's aggregate, which is what the paper's momentum provides; zero when there is
 * none), L times: v ← v + Σ pᵢ·clip(xᵢ − v, τ), clip(z, τ) = z·min(1, τ/‖z‖), p = cappedWeights(counts, cap).
 * Every step moves v by at most τ, and an update's pull by at most pᵢτ, however far away it is. The paper uses
 * L = 1 with a momentum reference; from a zero reference a few steps let v travel to the honest cluster.
 */
export function centeredClipping(
  updates: readonly SiloUpdate[],
  params: CenteredClippingParams,
  reference?: Float32Array,
): Float32Array {
  const length = checkUpdates(updates);
  const { tau, iterations, maxWeightShare } = resolveRuleParams(
    CENTERED_CLIPPING_SPEC,
    params,
    updates.length,
  );
  if (reference) {
    if (reference.length !== length) {
      throw new AggregationError(
        'LENGTH_MISMATCH',
        `reference has ${reference.length} values, expected ${length}`,
      );
    }
    assertFinite('reference', reference);
  }
  const n = updates.length;
  const deltas = updates.map((u) => u.delta);
  const p = cappedWeights(
    updates.map((u) => u.weight),
    maxWeightShare,
  );
  const v = reference ? Float64Array.from(reference) : new Float64Array(length);
  const squared = new Float64Array(n);
  distancesTo(v, deltas, squared);
  const s = new Float64Array(n);
  const next = new Float64Array(Math.min(SUM_BLOCK, length));
  for (let step = 1; step <= iterations; step++) {
    // v + Σ sᵢ(xᵢ − v) = (1 − Σ sᵢ)v + Σ sᵢxᵢ, with sᵢ = pᵢ·min(1, τ/‖xᵢ − v‖)
    let keep = 1;
    for (let i = 0; i < n; i++) {
      const d = Math.sqrt(squared[i]);
      s[i] = d > tau ? (p[i] * tau) / d : p[i];
      keep -= s[i];
    }
    const last = step === iterations;
    squared.fill(0);
    for (let start = 0; start < length; start += SUM_BLOCK) {
      const count = Math.min(SUM_BLOCK, length - start);
      for (let k = 0; k < count; k++) next[k] = keep * v[start + k];
      addWeightedBlock(deltas, s, start, count, next);
      // The next step's distances, while this block of every update is still in cache.
      if (!last) addSquaredDistancesToBlock(deltas, next, start, count, squared);
      v.set(count === next.length ? next : next.subarray(0, count), start);
    }
  }
  return new Float32Array(v);
}

function distancesTo(v: Float64Array, deltas: readonly Float32Array[], squared: Float64Array): void {
  squared.fill(0);
  for (let start = 0; start < v.length; start += SUM_BLOCK) {
    const count = Math.min(SUM_BLOCK, v.length - start);
    addSquaredDistancesToBlock(deltas, v.subarray(start, start + count), start, count, squared);
  }
}

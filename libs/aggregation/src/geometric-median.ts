// Geometric median by the smoothed Weiszfeld algorithm of RFA (Pillutla, Kakade and Harchaoui 2022, "Robust Aggregation for Federated Learning", IEEE Trans. Signal Processing, Algorithm 2).
import { fedAvg } from './fedavg.js';
import { pairwiseSquaredDistances } from './pairwise-distances.js';
import { maxWeightShareParam, resolveRuleParams, type RuleParamsSpec } from './rule-params.js';
import { cappedWeights, checkUpdates, DEFAULT_MAX_WEIGHT_SHARE, type SiloUpdate } from './updates.js';

export type GeometricMedianParams = {
  /** ν, the smoothing: distances below ν count as ν, so an update at the current estimate does not divide by 0 (default 1e-6). */
  nu?: number;
  /** Stop when a step moves the estimate by less than this fraction of its median distance to the updates (default 1e-6). */
  tolerance?: number;
  /** Stop after this many Weiszfeld steps even if not converged (default 100). */
  maxIterations?: number;
  /** The largest share of the total weight one site may carry (default 1/3); see cappedWeights. */
  maxWeightShare?: number;
};

export const GEOMETRIC_MEDIAN_SPEC: RuleParamsSpec = {
  rule: 'geometric-median',
  params: [
    {
      name: 'nu',
      description: 'the smoothing ν of the Weiszfeld weights, in the units of the updates',
      min: 0,
      max: Infinity,
      minExclusive: true,
      default: 1e-6,
    },
    {
      name: 'tolerance',
      description:
        'the step length, relative to the median distance from the estimate to the updates, below which the iteration stops',
      min: 0,
      max: 1,
      minExclusive: true,
      default: 1e-6,
    },
    {
      name: 'maxIterations',
      description: 'the most Weiszfeld steps taken',
      min: 1,
      max: 10_000,
      maxInclusive: true,
      integer: true,
      default: 100,
    },
    maxWeightShareParam(DEFAULT_MAX_WEIGHT_SHARE),
  ],
};

export interface WeiszfeldResult {
  median: Float32Array;
  /** Weiszfeld steps taken after the starting point (the weighted mean). */
  iterations: number;
  /** Whether a step fell below the tolerance before maxIterations. */
  converged: boolean;
  /** Σ αᵢ‖v − xᵢ‖ at the returned point, with α the capped weights (summing to 1). */
  objective: number;
}

/**
 * The weighted geometric median argmin_v Σ αᵢ‖v − xᵢ‖, α = cappedWeights(counts, cap): starting from the weighted
 * mean, each step is v ← Σ βᵢxᵢ / Σ βᵢ with βᵢ = αᵢ / max(ν, ‖v − xᵢ‖). Its breakdown point is half the weight,
 * so no site under the cap can pull it far on its own.
 *
 * It stops when a step moves v by less than `tolerance` times the median of the distances ‖v − xᵢ‖, a scale set
 * by the bulk of the updates. The RFA reference code stops on the relative change of the objective instead, but
 * one update far away dominates the objective, so that test passes while v is still on its way from the mean
 * (which the outlier drags) to the median: exactly the round this rule is for.
 */
export function smoothedWeiszfeld(
  updates: readonly SiloUpdate[],
  params: GeometricMedianParams = {},
): WeiszfeldResult {
  checkUpdates(updates);
  const { nu, tolerance, maxIterations, maxWeightShare } = resolveRuleParams(
    GEOMETRIC_MEDIAN_SPEC,
    params,
    updates.length,
  );
  const n = updates.length;
  const deltas = updates.map((u) => u.delta);
  const alpha = cappedWeights(
    updates.map((u) => u.weight),
    maxWeightShare,
  );
  // Every Weiszfeld iterate is a convex combination v = Σ cⱼxⱼ of the updates, so with the squared distances
  // D between updates, ‖v − xᵢ‖² = (Dc)ᵢ − ½cᵀDc: one pass over the updates for D, the steps in n dimensions,
  // and one more pass to form v at the end, instead of one pass per step.
  const distances = pairwiseSquaredDistances(deltas);
  let c = Float64Array.from(alpha);
  const squared = new Float64Array(n);
  squaredDistancesFrom(distances, c, squared);
  let iterations = 0;
  let converged = medianDistance(squared) === 0;
  while (!converged && iterations < maxIterations) {
    const next = new Float64Array(n);
    let sum = 0;
    for (let i = 0; i < n; i++) {
      next[i] = alpha[i] / Math.max(nu, Math.sqrt(squared[i]));
      sum += next[i];
    }
    const step = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      next[i] /= sum;
      step[i] = next[i] - c[i];
    }
    // ‖Σ eⱼxⱼ‖² = −½eᵀDe when Σ eⱼ = 0, as for the difference of two convex combinations.
    const moved = Math.sqrt(Math.max(0, -0.5 * quadratic(distances, step)));
    c = next;
    squaredDistancesFrom(distances, c, squared);
    iterations++;
    converged = moved <= tolerance * medianDistance(squared);
  }
  let objective = 0;
  for (let i = 0; i < n; i++) objective += alpha[i] * Math.sqrt(squared[i]);
  // c is positive and sums to 1, so the example-weighted mean with weights c is Σ cⱼxⱼ (FedAvg's SIMD kernel).
  const median = fedAvg(deltas.map((delta, i) => ({ delta, weight: c[i] })));
  return { median, iterations, converged, objective };
}

/** squared[i] = (Dc)ᵢ − ½cᵀDc = ‖Σ cⱼxⱼ − xᵢ‖² for c summing to 1; rounding below zero is clamped. */
function squaredDistancesFrom(distances: Float64Array, c: Float64Array, squared: Float64Array): void {
  const n = c.length;
  let q = 0;
  for (let i = 0; i < n; i++) {
    let dc = 0;
    for (let j = 0; j < n; j++) dc += distances[i * n + j] * c[j];
    squared[i] = dc;
    q += c[i] * dc;
  }
  for (let i = 0; i < n; i++) squared[i] = Math.max(0, squared[i] - q / 2);
}

function quadratic(matrix: Float64Array, e: Float64Array): number {
  const n = e.length;
  let q = 0;
  for (let i = 0; i < n; i++) {
    let row = 0;
    for (let j = 0; j < n; j++) row += matrix[i * n + j] * e[j];
    q += e[i] * row;
  }
  return q;
}

/** The geometric median alone; see smoothedWeiszfeld. */
export function geometricMedian(
  updates: readonly SiloUpdate[],
  params: GeometricMedianParams = {},
): Float32Array {
  return smoothedWeiszfeld(updates, params).median;
}

function medianDistance(squared: Float64Array): number {
  const sorted = Float64Array.from(squared).sort();
  const m = sorted.length >> 1;
  return Math.sqrt(sorted.length % 2 === 1 ? sorted[m] : (sorted[m - 1] + sorted[m]) / 2);
}

// Norm bounding: each update projected onto an ℓ2 ball, then the example-weighted mean (Sun et al. 2019, "Can You Really Backdoor Federated Learning?", arXiv:1911.07963).
import { weightedSum } from './blocked-sums.js';
import { MeanAccumulator } from './fedavg.js';
import { resolveRuleParams, type RuleParamsSpec } from './rule-params.js';
import { checkUpdates, type SiloUpdate } from './updates.js';

export type NormBoundingParams = {
  /** r: every update is scaled down to ℓ2 norm at most r. */
  radius: number;
};

export const NORM_BOUNDING_SPEC: RuleParamsSpec = {
  rule: 'norm-bounding',
  params: [
    {
      name: 'radius',
      description: 'the ℓ2 norm each update is projected to, in the units of the updates',
      min: 0,
      max: Infinity,
      minExclusive: true,
    },
  ],
};

/**
 * Folds updates in as they arrive (O(P) memory, float64 sums), like MeanAccumulator, each first scaled by
 * min(1, r/‖Δ‖). Weights are the plain example counts, which is what lets the rule stream: a cap on shares would
 * need every count first. A refused update leaves the accumulator unchanged.
 */
export class NormBoundingAccumulator {
  readonly length: number;
  readonly radius: number;
  private readonly mean: MeanAccumulator;
  private clippedCount = 0;

  constructor(length: number, radius: number) {
    resolveRuleParams(NORM_BOUNDING_SPEC, { radius }, undefined);
    this.mean = new MeanAccumulator(length);
    this.length = length;
    this.radius = radius;
  }

  get count(): number {
    return this.mean.count;
  }

  get totalWeight(): number {
    return this.mean.totalWeight;
  }

  /** How many of the updates so far were longer than the radius and scaled down. */
  get clipped(): number {
    return this.clippedCount;
  }

  add(delta: Float32Array, weight: number): void {
    const norm = l2Norm(delta);
    const scale = norm > this.radius ? this.radius / norm : 1;
    // The mean accumulator checks the update before anything changes, so a refused one is not counted here either.
    this.mean.add(delta, weight, scale);
    if (scale < 1) this.clippedCount++;
  }

  /** Σ nₖ·min(1, r/‖Δₖ‖)·Δₖ / Σ nₖ, rounded once to float32. */
  result(): Float32Array {
    return this.mean.result();
  }
}

export function createNormBoundingAccumulator(length: number, radius: number): NormBoundingAccumulator {
  return new NormBoundingAccumulator(length, radius);
}

/**
 * Each update projected to norm ≤ r, then the example-weighted mean. One update moves the result by at most
 * 2r·(its share of the weight), whatever it contains; a site's share is not capped (see the accumulator).
 */
export function normBounding(updates: readonly SiloUpdate[], params: NormBoundingParams): Float32Array {
  checkUpdates(updates);
  const { radius } = resolveRuleParams(NORM_BOUNDING_SPEC, params, updates.length);
  // The accumulator's arithmetic, without checking each update a second time and with one blocked pass for
  // the sum: coefficient nₖ·min(1, r/‖Δₖ‖) / Σn per update.
  let weightSum = 0;
  for (const u of updates) weightSum += u.weight;
  const coefficients = updates.map(({ delta, weight }) => {
    const norm = l2Norm(delta);
    return (weight * (norm > radius ? radius / norm : 1)) / weightSum;
  });
  return new Float32Array(
    weightedSum(
      updates.map((u) => u.delta),
      coefficients,
    ),
  );
}

/** ‖x‖₂ in float64, with two partial sums so the adds do not wait on each other. */
export function l2Norm(x: Float32Array): number {
  let s0 = 0;
  let s1 = 0;
  const even = x.length & ~1;
  for (let i = 0; i < even; i += 2) {
    s0 += x[i] * x[i];
    s1 += x[i + 1] * x[i + 1];
  }
  if (even < x.length) s0 += x[even] * x[even];
  return Math.sqrt(s0 + s1);
}

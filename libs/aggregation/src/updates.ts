// Shared input checks and the capped example-count weighting used by the robust rules (a site's weight is its example count, capped so no site exceeds a set share of the total).
import { AggregationError } from './errors.js';
import type { WeightedUpdate } from './fedavg.js';
import { assertFinite, assertInRange, assertLength } from './vectors.js';

/** One silo's model delta with its example count; the id, when given, names the silo in errors and outlier scores. */
export interface SiloUpdate extends WeightedUpdate {
  siloId?: string;
}

/**
 * No site may carry more than this share of the total weight. A third keeps any one hospital, however large
 * (or however large it claims to be: the enclave cannot verify example counts), well short of the half it would
 * need to decide a median on its own, while sites below the cap keep weights proportional to their counts.
 */
export const DEFAULT_MAX_WEIGHT_SHARE = 1 / 3;

/** How updates are named in messages: by silo id when there is one, always with the position. */
export function updateLabel(updates: readonly SiloUpdate[], i: number): string {
  const id = updates[i]?.siloId;
  return id === undefined ? `update ${i}` : `update ${i} (silo ${id})`;
}

/**
 * Refuses an empty round, mismatched lengths, non-finite values and weights that are not positive and finite,
 * naming the first offending update. Returns the parameter count.
 */
export function checkUpdates(updates: readonly SiloUpdate[]): number {
  if (updates.length === 0) throw new AggregationError('NO_UPDATES', 'no updates to aggregate');
  const length = updates[0].delta.length;
  if (length === 0) throw new AggregationError('LENGTH_MISMATCH', 'updates have no values');
  for (let i = 0; i < updates.length; i++) {
    const { delta, weight } = updates[i];
    const what = updateLabel(updates, i);
    if (!Number.isFinite(weight) || weight <= 0) {
      throw new AggregationError(
        'INVALID_WEIGHT',
        `${what} has weight ${weight}; weights are example counts and must be positive and finite`,
      );
    }
    assertLength(what, delta, length);
    assertFiniteFast(what, delta);
  }
  return length;
}

/** assertFinite with a fast path: the same NON_FINITE_VALUE error, naming the first bad index. */
export function assertFiniteFast(what: string, values: Float32Array): void {
  // x − x is 0 for every finite x and NaN otherwise, so one branch-free sum screens the whole array and the
  // slower scan that finds the index runs only when something is wrong.
  let s0 = 0;
  let s1 = 0;
  const even = values.length & ~1;
  for (let k = 0; k < even; k += 2) {
    s0 += values[k] - values[k];
    s1 += values[k + 1] - values[k + 1];
  }
  if (even < values.length) s0 += values[even] - values[even];
  if (s0 + s1 !== 0) assertFinite(what, values);
}

/**
 * Normalised weights pₖ = min(α·nₖ, c) with Σpₖ = 1, for the cap c = maxWeightShare: sites under the cap keep
 * weights proportional to their counts, and the share the capped sites lose goes to the others in proportion
 * (water-filling; capping at c·Σn and renormalising once would push a capped site back over c). When the cap
 * cannot be met (N·c ≤ 1) every site gets 1/N, the most even split there is. maxWeightShare = 1 gives plain
 * proportional weights nₖ/Σn.
 */
export function cappedWeights(weights: ArrayLike<number>, maxWeightShare: number): Float64Array {
  assertInRange('maxWeightShare', maxWeightShare, 0, 1, { minExclusive: true, maxInclusive: true });
  const n = weights.length;
  const out = new Float64Array(n);
  if (n === 0) return out;
  if (maxWeightShare * n <= 1) return out.fill(1 / n);
  let total = 0;
  for (let i = 0; i < n; i++) total += weights[i];
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => weights[b] - weights[a] || a - b);
  // With the k largest sites capped, the rest share 1 − k·c in proportion: α = (1 − k·c) / (their total).
  // The first k at which the largest uncapped site stays under the cap is the solution; k < n because N·c > 1.
  let rest = total;
  let k = 0;
  for (; k < n; k++) {
    const alpha = (1 - k * maxWeightShare) / rest;
    if (weights[order[k]] * alpha <= maxWeightShare) break;
    rest -= weights[order[k]];
  }
  const alpha = (1 - k * maxWeightShare) / rest;
  for (let j = 0; j < n; j++) out[order[j]] = j < k ? maxWeightShare : weights[order[j]] * alpha;
  return out;
}

/** True when every weight equals the first: the rules then use unit weights so that sums of them are exact. */
export function allEqual(weights: ArrayLike<number>): boolean {
  for (let i = 1; i < weights.length; i++) if (weights[i] !== weights[0]) return false;
  return true;
}

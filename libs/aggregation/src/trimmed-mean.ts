// Coordinate-wise trimmed mean (Yin et al. 2018, "Byzantine-Robust Distributed Learning: Towards Optimal Statistical Rates", ICML), in a weighted form with capped example-count weights.
import { forEachSortedBlock, SORTED_INDEX_MASK, type SortedBlock } from './column-sort.js';
import { resolveRuleParams, maxWeightShareParam, type RuleParamsSpec } from './rule-params.js';
import {
  allEqual,
  cappedWeights,
  checkUpdates,
  DEFAULT_MAX_WEIGHT_SHARE,
  type SiloUpdate,
} from './updates.js';

export type TrimmedMeanParams = {
  /** β: the fraction of the total weight dropped from each tail, 0 ≤ β < 0.5 (default 0.1). */
  beta?: number;
  /**
   * The largest share of the total weight one site may carry; see cappedWeights. Defaults to β, so that a site
   * at an extreme is trimmed away entirely (a heavier one would survive the cut in part), or to 1/3 when β = 0.
   */
  maxWeightShare?: number;
};

export const TRIMMED_MEAN_SPEC: RuleParamsSpec = {
  rule: 'trimmed-mean',
  params: [
    {
      name: 'beta',
      description:
        'the fraction of the total weight dropped from each tail of every coordinate; 0.5 or more would drop everything',
      min: 0,
      max: 0.5,
      default: 0.1,
    },
    maxWeightShareParam(undefined, 'β, or 1/3 when β = 0'),
  ],
};

/**
 * Per coordinate: sort the values, lay their weights p = cappedWeights(counts, cap) end to end on [0, W], drop
 * the first and last β·W of that line and average what is left, each value weighted by how much of its stretch
 * survives. A value straddling a cut counts in part, so the result moves continuously with β and the weights.
 * With equal weights and βN whole this is Yin et al.'s rule: drop the βN smallest and βN largest values, average
 * the rest; β = 0 is the capped-weight mean.
 *
 * Robust to bad sites whose total weight is at most β: each tail drops that much, so extreme values are cut out
 * whole. That is why the cap defaults to β; with a larger cap, a heavy site at an extreme keeps part of its pull.
 */
export function trimmedMean(updates: readonly SiloUpdate[], params: TrimmedMeanParams = {}): Float32Array {
  const length = checkUpdates(updates);
  const resolved = resolveRuleParams(TRIMMED_MEAN_SPEC, params, updates.length);
  const { beta } = resolved;
  const weights = cappedWeights(
    updates.map((u) => u.weight),
    resolved.maxWeightShare ?? (beta > 0 ? beta : DEFAULT_MAX_WEIGHT_SHARE),
  );
  const out = new Float32Array(length);
  const deltas = updates.map((u) => u.delta);
  if (allEqual(weights)) forEachSortedBlock(deltas, equalWeightsVisitor(updates.length, beta, out));
  else forEachSortedBlock(deltas, weightedVisitor(weights, beta, out));
  return out;
}

/**
 * Equal weights put every coordinate's cuts at the same sorted positions, so each row of the sorted block gets one
 * fixed coefficient (1 inside, a fraction at a cut, 0 outside) and the sum runs row by row with no lookups.
 */
function equalWeightsVisitor(n: number, beta: number, out: Float32Array): (block: SortedBlock) => void {
  // Unit weights keep the cuts exact: βN whole drops whole values, with no sliver left over.
  const lower = beta * n;
  const upper = n - lower;
  const coefficients = new Float64Array(n);
  for (let r = 0; r < n; r++) coefficients[r] = Math.max(0, Math.min(r + 1, upper) - Math.max(r, lower));
  const first = Math.floor(lower);
  const last = Math.min(n - 1, Math.ceil(upper) - 1);
  const kept = upper - lower;
  let sums = new Float64Array(0);
  return ({ start, count, stride, keys }) => {
    if (sums.length < count) sums = new Float64Array(stride);
    sums.fill(0);
    for (let r = first; r <= last; r++) {
      const coefficient = coefficients[r];
      const row = r * stride;
      for (let c = 0; c < count; c++) sums[c] += coefficient * Math.fround(keys[row + c]);
    }
    for (let c = 0; c < count; c++) out[start + c] = sums[c] / kept;
  };
}

function weightedVisitor(
  weights: Float64Array,
  beta: number,
  out: Float32Array,
): (block: SortedBlock) => void {
  const n = weights.length;
  let total = 0;
  for (let i = 0; i < n; i++) total += weights[i];
  const lower = beta * total;
  const upper = total - lower;
  const kept = upper - lower;
  return ({ start, count, stride, keys, words, lowWord }) => {
    for (let c = 0; c < count; c++) {
      // Walk up the sorted column to the value whose stretch crosses the lower cut…
      let before = 0;
      let after = 0;
      let pos = c;
      let r = 0;
      for (; r < n; r++, pos += stride) {
        after = before + weights[words[2 * pos + lowWord] & SORTED_INDEX_MASK];
        if (after > lower) break;
        before = after;
      }
      // …count the part of it above the cut (and below the upper one), then whole values up to the upper cut.
      let sum = ((after < upper ? after : upper) - lower) * Math.fround(keys[pos]);
      if (after < upper) {
        for (r++, pos += stride; r < n; r++, pos += stride) {
          before = after;
          const weight = weights[words[2 * pos + lowWord] & SORTED_INDEX_MASK];
          after = before + weight;
          if (after >= upper) {
            sum += (upper - before) * Math.fround(keys[pos]);
            break;
          }
          sum += weight * Math.fround(keys[pos]);
        }
      }
      out[start + c] = sum / kept;
    }
  };
}

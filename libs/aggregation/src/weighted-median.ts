// Coordinate-wise median (Yin et al. 2018, "Byzantine-Robust Distributed Learning: Towards Optimal Statistical Rates", ICML), in a weighted form with capped example-count weights.
import { forEachSortedBlock, SORTED_INDEX_MASK } from './column-sort.js';
import { resolveRuleParams, maxWeightShareParam, type RuleParamsSpec } from './rule-params.js';
import {
  allEqual,
  cappedWeights,
  checkUpdates,
  DEFAULT_MAX_WEIGHT_SHARE,
  type SiloUpdate,
} from './updates.js';

export type WeightedMedianParams = {
  /** The largest share of the total weight one site may carry (default 1/3); see cappedWeights. */
  maxWeightShare?: number;
};

export const WEIGHTED_MEDIAN_SPEC: RuleParamsSpec = {
  rule: 'median',
  params: [maxWeightShareParam(DEFAULT_MAX_WEIGHT_SHARE)],
};

/**
 * Cumulative weights within this fraction of the total of exactly half count as a tie: capped weights are
 * fractions whose running sums can be off by a few ulps. (Equal weights take a path with no sums at all.)
 */
const TIE_TOLERANCE = 1e-12;

/**
 * Per coordinate, the weighted median of the updates' values with weights p = cappedWeights(counts, cap): sort the
 * values, and take the first whose cumulative weight reaches half the total. When the cumulative weight equals
 * half exactly, the median is the midpoint of that value and the next, so equal weights give the ordinary median
 * (the mean of the two middle values for even N, as numpy.median): [1, 2, 3, 10] with equal weights gives 2.5.
 *
 * Robust because no site's weight exceeds the cap: with cap < 1/2, any one update, however extreme, can move
 * each coordinate only to another honest value's position. With maxWeightShare = 1 a site with more than half of
 * all examples decides the median alone, which is why the default caps at a third.
 */
export function weightedMedian(
  updates: readonly SiloUpdate[],
  params: WeightedMedianParams = {},
): Float32Array {
  const length = checkUpdates(updates);
  const { maxWeightShare } = resolveRuleParams(WEIGHTED_MEDIAN_SPEC, params, updates.length);
  const capped = cappedWeights(
    updates.map((u) => u.weight),
    maxWeightShare,
  );
  const n = updates.length;
  const out = new Float32Array(length);
  const deltas = updates.map((u) => u.delta);
  if (allEqual(capped)) {
    // Equal weights put the median at the same sorted position(s) in every column: no cumulative walk needed.
    const lo = (n - 1) >> 1;
    const hi = n >> 1;
    forEachSortedBlock(deltas, ({ start, count, stride, keys }) => {
      for (let c = 0; c < count; c++) {
        const a = Math.fround(keys[lo * stride + c]);
        out[start + c] = lo === hi ? a : (a + Math.fround(keys[hi * stride + c])) / 2;
      }
    });
    return out;
  }
  let total = 0;
  for (let i = 0; i < n; i++) total += capped[i];
  const half = total / 2;
  const tolerance = TIE_TOLERANCE * total;
  forEachSortedBlock(deltas, ({ start, count, stride, keys, words, lowWord }) => {
    for (let c = 0; c < count; c++) {
      let cumulative = 0;
      let pos = c;
      let r = 0;
      for (; r < n; r++, pos += stride) {
        cumulative += capped[words[2 * pos + lowWord] & SORTED_INDEX_MASK];
        if (cumulative >= half - tolerance) break;
      }
      let value = Math.fround(keys[pos]);
      if (cumulative <= half + tolerance && r + 1 < n) value = (value + Math.fround(keys[pos + stride])) / 2;
      out[start + c] = value;
    }
  });
  return out;
}

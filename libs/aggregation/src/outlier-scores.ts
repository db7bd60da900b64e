// Per-silo outlier scores against the round's robust centre, flagged by the median absolute deviation rule (Hampel 1974; Leys et al. 2013, "Detecting outliers: Do not use standard deviation around the mean, use absolute deviation around the median").
import { AggregationError } from './errors.js';
import { checkUpdates, type SiloUpdate } from './updates.js';
import { assertFinite, assertInRange } from './vectors.js';

/** One silo's scores: plain numbers that say how far its update was from the centre, never the update itself. */
export interface OutlierScore {
  /** The update's silo id, or its position in the round when it has none. */
  siloId: string;
  /** ‖x − c‖₂, the ℓ2 distance from the robust centre. */
  distance: number;
  /** x·c / (‖x‖‖c‖), in [−1, 1]; 0 when either vector is zero, where no direction is defined. */
  cosine: number;
  /** ‖x‖₂. */
  norm: number;
  /** distance > outlierThreshold(all distances, k). */
  flagged: boolean;
}

export type OutlierScoreParams = {
  /** How many (normal-consistent) MADs above the median distance a silo must be to be flagged (default 3). */
  k?: number;
};

export const DEFAULT_OUTLIER_K = 3;

/** MAD × 1.4826 estimates the standard deviation for normal data, so k reads as "k standard deviations". */
const MAD_TO_SD = 1.4826;

/** Below three silos there is no majority to be an outlier from. */
export const MIN_SILOS_TO_FLAG = 3;

function median(sorted: readonly number[]): number {
  const m = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[m] : (sorted[m - 1] + sorted[m]) / 2;
}

/**
 * median(d) + k·1.4826·MAD(d), MAD(d) = median |dᵢ − median(d)|: a threshold that one far-off silo cannot raise,
 * unlike mean + k·sd, which the outlier itself inflates. Infinity (nobody flagged) with fewer than three silos.
 */
export function outlierThreshold(distances: readonly number[], k: number = DEFAULT_OUTLIER_K): number {
  assertInRange('k', k, 0, Infinity);
  if (distances.length < MIN_SILOS_TO_FLAG) return Infinity;
  const sorted = [...distances].sort((a, b) => a - b);
  const centre = median(sorted);
  const mad = median(distances.map((d) => Math.abs(d - centre)).sort((a, b) => a - b));
  return centre + k * MAD_TO_SD * mad;
}

/**
 * Scores every update against `centre` (the output of a robust rule for this round) and flags those whose
 * distance exceeds outlierThreshold. One pass over each update, float64 sums.
 */
export function outlierScores(
  updates: readonly SiloUpdate[],
  centre: Float32Array,
  params: OutlierScoreParams = {},
): OutlierScore[] {
  const length = checkUpdates(updates);
  const k = params.k ?? DEFAULT_OUTLIER_K;
  assertInRange('k', k, 0, Infinity);
  if (centre.length !== length) {
    throw new AggregationError('LENGTH_MISMATCH', `centre has ${centre.length} values, expected ${length}`);
  }
  assertFinite('centre', centre);
  let centreSquared = 0;
  for (let j = 0; j < length; j++) centreSquared += centre[j] * centre[j];
  const centreNorm = Math.sqrt(centreSquared);
  const scores = updates.map((u, i): OutlierScore => {
    const x = u.delta;
    let dot = 0;
    let squared = 0;
    let gap = 0;
    for (let j = 0; j < length; j++) {
      const xj = x[j];
      const cj = centre[j];
      dot += xj * cj;
      squared += xj * xj;
      gap += (xj - cj) * (xj - cj);
    }
    const norm = Math.sqrt(squared);
    const cosine = norm > 0 && centreNorm > 0 ? Math.max(-1, Math.min(1, dot / (norm * centreNorm))) : 0;
    return { siloId: u.siloId ?? String(i), distance: Math.sqrt(gap), cosine, norm, flagged: false };
  });
  const threshold = outlierThreshold(
    scores.map((s) => s.distance),
    k,
  );
  for (const s of scores) s.flagged = s.distance > threshold;
  return scores;
}

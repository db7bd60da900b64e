// Nearest-neighbour mixing (Allouah et al. 2023, "Fixing by Mixing: A Recipe for Optimal Byzantine ML under Heterogeneity", AISTATS).
import { weightedSum } from './blocked-sums.js';
import { pairwiseSquaredDistances } from './pairwise-distances.js';
import type { RuleParamSpec } from './rule-params.js';
import type { SiloUpdate } from './updates.js';

/**
 * The `mixing` parameter of the rules that select updates: hospitals' data differ, so honest updates are spread
 * out and a selection rule such as Krum ends up following one hospital; mixing each update with its nearest
 * neighbours first shrinks that spread while a bad update can still reach at most f of the mixed ones' means.
 */
export const MIXING_PARAM: RuleParamSpec = {
  name: 'mixing',
  description:
    '1: replace each update by the mean of its n − f nearest (nearest-neighbour mixing, Allouah et al. 2023) before the rule; 0: none',
  min: 0,
  max: 1,
  maxInclusive: true,
  integer: true,
  default: 0,
};

/**
 * Each update replaced by the unweighted mean of the n − f updates nearest to it in ℓ2 (itself included), as in
 * the paper; example counts and silo ids stay with their update. Ties in distance keep input order. Allocates
 * one new vector per update (the mixed copies); the inputs are read, never changed.
 */
export function nearestNeighbourMixing(updates: readonly SiloUpdate[], f: number): SiloUpdate[] {
  const n = updates.length;
  const keep = n - f;
  const distances = pairwiseSquaredDistances(updates.map((u) => u.delta));
  const coefficients = new Float64Array(n);
  return updates.map((u, i) => {
    const order = Array.from({ length: n }, (_, j) => j).sort((a, b) =>
      a === i ? -1 : b === i ? 1 : distances[i * n + a] - distances[i * n + b] || a - b,
    );
    coefficients.fill(0);
    for (const j of order.slice(0, keep)) coefficients[j] = 1 / keep;
    return {
      ...u,
      delta: new Float32Array(
        weightedSum(
          updates.map((v) => v.delta),
          coefficients,
        ),
      ),
    };
  });
}

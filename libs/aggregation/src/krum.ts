// Krum and Multi-Krum (Blanchard et al. 2017, "Machine Learning with Adversaries: Byzantine Tolerant Gradient Descent", NeurIPS).
import { weightedSum } from './blocked-sums.js';
import { MIXING_PARAM, nearestNeighbourMixing } from './nearest-neighbour-mixing.js';
import { pairwiseSquaredDistances } from './pairwise-distances.js';
import {
  maxWeightShareParam,
  resolveRuleParams,
  type RuleParamIssue,
  type RuleParamSpec,
  type RuleParamsSpec,
} from './rule-params.js';
import { cappedWeights, checkUpdates, DEFAULT_MAX_WEIGHT_SHARE, type SiloUpdate } from './updates.js';

export type KrumParams = {
  /** f: how many updates may be arbitrarily bad (default 1); needs n > 2f + 2. */
  f?: number;
  /** 1: nearest-neighbour mixing before scoring (MIXING_PARAM); 0 (default): the paper's rule as is. */
  mixing?: number;
};

export type MultiKrumParams = KrumParams & {
  /** m: how many of the best-scored updates are averaged (default n − f); 1 ≤ m ≤ n − f. */
  m?: number;
  /** The largest share of the total weight one selected site may carry in the average (default 1/3). */
  maxWeightShare?: number;
};

const F_PARAM: RuleParamSpec = {
  name: 'f',
  description: 'the number of arbitrarily bad updates to tolerate; Krum needs more than 2f + 2 updates',
  min: 0,
  max: Infinity,
  integer: true,
  default: 1,
};

const M_PARAM: RuleParamSpec = {
  name: 'm',
  description: 'the number of best-scored updates to average, at most n − f',
  min: 1,
  max: Infinity,
  integer: true,
  derived: 'n − f',
};

function krumIssues(p: Readonly<Record<string, number>>, n: number | undefined): RuleParamIssue[] {
  const issues: RuleParamIssue[] = [];
  const f = p.f;
  if (n === undefined) return issues;
  if (n <= 2 * f + 2) {
    issues.push({
      param: 'f',
      message: `= ${f} needs more than 2f + 2 = ${2 * f + 2} updates (each score sums the n − f − 2 nearest); got ${n}`,
    });
  } else if (p.m !== undefined && p.m > n - f) {
    issues.push({
      param: 'm',
      message: `= ${p.m} is more than n − f = ${n - f}: averaging more than n − f updates can take in a bad one`,
    });
  }
  return issues;
}

export const KRUM_SPEC: RuleParamsSpec = { rule: 'krum', params: [F_PARAM, MIXING_PARAM], check: krumIssues };

export const MULTI_KRUM_SPEC: RuleParamsSpec = {
  rule: 'multi-krum',
  params: [F_PARAM, M_PARAM, maxWeightShareParam(DEFAULT_MAX_WEIGHT_SHARE), MIXING_PARAM],
  check: krumIssues,
};

/**
 * Krum's score of every update: the sum of its squared ℓ2 distances to its n − f − 2 nearest other updates. An
 * honest update sits among n − f others that agree with it; a bad one, however placed, is far from most. Throws
 * unless n > 2f + 2.
 */
export function krumScores(updates: readonly SiloUpdate[], f: number): Float64Array {
  checkUpdates(updates);
  resolveRuleParams(KRUM_SPEC, { f }, updates.length);
  return scores(updates, f);
}

function scores(updates: readonly SiloUpdate[], f: number): Float64Array {
  const n = updates.length;
  const distances = pairwiseSquaredDistances(updates.map((u) => u.delta));
  const nearest = n - f - 2;
  const result = new Float64Array(n);
  const others = new Float64Array(n - 1);
  for (let i = 0; i < n; i++) {
    for (let j = 0, o = 0; j < n; j++) if (j !== i) others[o++] = distances[i * n + j];
    others.sort();
    let score = 0;
    for (let k = 0; k < nearest; k++) score += others[k];
    result[i] = score;
  }
  return result;
}

/** Update indices from best (lowest) score to worst; equal scores keep input order, so the choice is reproducible. */
function ranked(scores: Float64Array): number[] {
  return Array.from(scores.keys()).sort((a, b) => scores[a] - scores[b] || a - b);
}

/**
 * Krum: the single update with the lowest score, copied (with mixing: the lowest-scored mixed update). Example
 * counts play no part in the choice.
 */
export function krum(updates: readonly SiloUpdate[], params: KrumParams = {}): Float32Array {
  checkUpdates(updates);
  const { f, mixing } = resolveRuleParams(KRUM_SPEC, params, updates.length);
  if (mixing === 1) {
    const mixed = nearestNeighbourMixing(updates, f);
    return mixed[ranked(scores(mixed, f))[0]].delta;
  }
  const best = ranked(scores(updates, f))[0];
  return updates[best].delta.slice();
}

/**
 * Multi-Krum: the m best-scored updates (by Krum's score, computed once, as in the paper), averaged with their
 * example counts capped at maxWeightShare of the selected total (cappedWeights). m = 1 is Krum.
 */
export function multiKrum(updates: readonly SiloUpdate[], params: MultiKrumParams = {}): Float32Array {
  checkUpdates(updates);
  const resolved = resolveRuleParams(MULTI_KRUM_SPEC, params, updates.length);
  const { f, maxWeightShare } = resolved;
  const m = resolved.m ?? updates.length - f;
  const pool = resolved.mixing === 1 ? nearestNeighbourMixing(updates, f) : updates;
  const chosen = ranked(scores(pool, f)).slice(0, m);
  const weights = cappedWeights(
    chosen.map((i) => pool[i].weight),
    maxWeightShare,
  );
  const sum = weightedSum(
    chosen.map((i) => pool[i].delta),
    weights,
  );
  return new Float32Array(sum);
}

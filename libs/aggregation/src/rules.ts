// The registry of aggregation rules: names, parameter specs, validation for job submission, and one entry point (FedAvg after McMahan et al. 2017; each robust rule cites its paper in its own file).
import { centeredClipping, CENTERED_CLIPPING_SPEC } from './centered-clipping.js';
import { AggregationError } from './errors.js';
import { createMeanAccumulator, fedAvg } from './fedavg.js';
import { geometricMedian, GEOMETRIC_MEDIAN_SPEC } from './geometric-median.js';
import { krum, KRUM_SPEC, multiKrum, MULTI_KRUM_SPEC } from './krum.js';
import { createNormBoundingAccumulator, normBounding, NORM_BOUNDING_SPEC } from './norm-bounding.js';
import {
  checkRuleParams,
  resolveRuleParams,
  type RuleParamIssue,
  type RuleParams,
  type RuleParamSpec,
  type RuleParamsSpec,
} from './rule-params.js';
import { trimmedMean, TRIMMED_MEAN_SPEC } from './trimmed-mean.js';
import type { SiloUpdate } from './updates.js';
import { weightedMedian, WEIGHTED_MEDIAN_SPEC } from './weighted-median.js';

export const AGGREGATION_RULE_NAMES = [
  'fedavg',
  'median',
  'trimmed-mean',
  'krum',
  'multi-krum',
  'geometric-median',
  'norm-bounding',
  'centered-clipping',
] as const;

export type AggregationRuleName = (typeof AGGREGATION_RULE_NAMES)[number];

export interface AggregationRuleInfo {
  readonly name: AggregationRuleName;
  readonly summary: string;
  readonly source: string;
  /** How example counts enter the rule. */
  readonly weighting: string;
  /**
   * True when updates can be folded in one at a time in O(P) memory (createStreamingAggregator); otherwise the
   * rule needs every update of the round at once.
   */
  readonly streaming: boolean;
  readonly params: readonly RuleParamSpec[];
}

const CAPPED = 'example counts, no site above maxWeightShare of the total (default 1/3)';

const FEDAVG_SPEC: RuleParamsSpec = { rule: 'fedavg', params: [] };

const SPECS: Readonly<Record<AggregationRuleName, RuleParamsSpec>> = {
  fedavg: FEDAVG_SPEC,
  median: WEIGHTED_MEDIAN_SPEC,
  'trimmed-mean': TRIMMED_MEAN_SPEC,
  krum: KRUM_SPEC,
  'multi-krum': MULTI_KRUM_SPEC,
  'geometric-median': GEOMETRIC_MEDIAN_SPEC,
  'norm-bounding': NORM_BOUNDING_SPEC,
  'centered-clipping': CENTERED_CLIPPING_SPEC,
};

function info(
  name: AggregationRuleName,
  summary: string,
  source: string,
  weighting: string,
  streaming: boolean,
): AggregationRuleInfo {
  return { name, summary, source, weighting, streaming, params: SPECS[name].params };
}

export const AGGREGATION_RULES: Readonly<Record<AggregationRuleName, AggregationRuleInfo>> = {
  fedavg: info('fedavg', 'the example-weighted mean', 'McMahan et al. 2017', 'example counts', true),
  median: info('median', 'coordinate-wise weighted median', 'Yin et al. 2018', CAPPED, false),
  'trimmed-mean': info(
    'trimmed-mean',
    'coordinate-wise mean after dropping β of the weight from each tail',
    'Yin et al. 2018',
    'example counts, no site above maxWeightShare of the total (default β, so an extreme site is trimmed whole)',
    false,
  ),
  krum: info(
    'krum',
    'the update closest to its n − f − 2 nearest neighbours',
    'Blanchard et al. 2017',
    'none: selects one update',
    false,
  ),
  'multi-krum': info(
    'multi-krum',
    'the weighted mean of the m best Krum scores',
    'Blanchard et al. 2017',
    `${CAPPED}, among the selected`,
    false,
  ),
  'geometric-median': info(
    'geometric-median',
    'the weighted geometric median by smoothed Weiszfeld',
    'Pillutla et al. 2022 (RFA)',
    CAPPED,
    false,
  ),
  'norm-bounding': info(
    'norm-bounding',
    'each update projected to ℓ2 norm ≤ radius, then the example-weighted mean',
    'Sun et al. 2019',
    'example counts (uncapped, so it streams)',
    true,
  ),
  'centered-clipping': info(
    'centered-clipping',
    'iterated clipped steps from a reference towards the updates',
    'Karimireddy et al. 2021',
    CAPPED,
    false,
  ),
};

export function isAggregationRule(name: string): name is AggregationRuleName {
  return (AGGREGATION_RULE_NAMES as readonly string[]).includes(name);
}

function specOf(rule: string): RuleParamsSpec {
  if (!isAggregationRule(rule)) {
    throw new AggregationError(
      'INVALID_PARAMETER',
      `unknown aggregation rule '${rule}'; expected one of ${AGGREGATION_RULE_NAMES.join(', ')}`,
    );
  }
  return SPECS[rule];
}

/**
 * Every problem with a rule's parameters, each naming the parameter, for a job spec's field-by-field messages.
 * `n` is the number of updates a round will aggregate; leave it out when unknown (the checks that need it are
 * skipped) or pass the job's quorum, the fewest a round can close with. An unknown rule is one issue with param ''.
 */
export function ruleParamIssues(rule: string, params: RuleParams = {}, n?: number): RuleParamIssue[] {
  if (!isAggregationRule(rule)) {
    return [
      {
        param: '',
        message: `unknown aggregation rule '${rule}'; expected one of ${AGGREGATION_RULE_NAMES.join(', ')}`,
      },
    ];
  }
  return checkRuleParams(SPECS[rule], params, n).issues;
}

/**
 * The parameters with defaults filled in, or an INVALID_PARAMETER AggregationError listing every problem
 * ("krum: f = 2 needs more than 2f + 2 = 6 updates …; got 5"). See ruleParamIssues for `n`.
 */
export function validateRuleParams(
  rule: string,
  params: RuleParams = {},
  n?: number,
): Record<string, number> {
  return resolveRuleParams(specOf(rule), params, n);
}

export interface AggregateOptions {
  /** Centered clipping's starting point: last round's aggregate; zero when left out. */
  reference?: Float32Array;
}

/** Aggregates one round's updates with the named rule; parameters are validated against n = updates.length. */
export function aggregate(
  rule: string,
  updates: readonly SiloUpdate[],
  params: RuleParams = {},
  options: AggregateOptions = {},
): Float32Array {
  const p = resolveRuleParams(specOf(rule), params, updates.length);
  switch (rule as AggregationRuleName) {
    case 'fedavg':
      return fedAvg(updates);
    case 'median':
      return weightedMedian(updates, { maxWeightShare: p.maxWeightShare });
    case 'trimmed-mean':
      return trimmedMean(updates, { beta: p.beta, maxWeightShare: p.maxWeightShare });
    case 'krum':
      return krum(updates, { f: p.f, mixing: p.mixing });
    case 'multi-krum':
      return multiKrum(updates, { f: p.f, m: p.m, maxWeightShare: p.maxWeightShare, mixing: p.mixing });
    case 'geometric-median':
      return geometricMedian(updates, {
        nu: p.nu,
        tolerance: p.tolerance,
        maxIterations: p.maxIterations,
        maxWeightShare: p.maxWeightShare,
      });
    case 'norm-bounding':
      return normBounding(updates, { radius: p.radius });
    case 'centered-clipping':
      return centeredClipping(
        updates,
        { tau: p.tau, iterations: p.iterations, maxWeightShare: p.maxWeightShare },
        options.reference,
      );
  }
}

/** What a streaming rule folds updates into: MeanAccumulator for FedAvg, NormBoundingAccumulator for norm bounding. */
export interface StreamingAggregator {
  add(delta: Float32Array, weight: number): void;
  result(): Float32Array;
  readonly count: number;
}

/** A streaming aggregator for a rule whose registry entry says `streaming`; other rules are refused. */
export function createStreamingAggregator(
  rule: string,
  length: number,
  params: RuleParams = {},
): StreamingAggregator {
  const p = resolveRuleParams(specOf(rule), params, undefined);
  if (rule === 'fedavg') return createMeanAccumulator(length);
  if (rule === 'norm-bounding') return createNormBoundingAccumulator(length, p.radius);
  throw new AggregationError(
    'INVALID_PARAMETER',
    `${rule} needs every update of the round at once and cannot stream; streaming rules: ${AGGREGATION_RULE_NAMES.filter(
      (r) => AGGREGATION_RULES[r].streaming,
    ).join(', ')}`,
  );
}

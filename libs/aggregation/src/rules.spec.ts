import { centeredClipping } from './centered-clipping.js';
import { AggregationError } from './errors.js';
import { fedAvg } from './fedavg.js';
import { geometricMedian } from './geometric-median.js';
import { krum, multiKrum } from './krum.js';
import { normBounding } from './norm-bounding.js';
import {
  aggregate,
  AGGREGATION_RULE_NAMES,
  AGGREGATION_RULES,
  createStreamingAggregator,
  ruleParamIssues,
  validateRuleParams,
} from './rules.js';
import { trimmedMean } from './trimmed-mean.js';
import { weightedMedian } from './weighted-median.js';

const f32 = (...xs: number[]) => Float32Array.from(xs);

const round = [f32(0, 0), f32(2, 0), f32(0, 1), f32(1, 1), f32(10, 10), f32(1, 0.5)].map((delta, i) => ({
  delta,
  weight: 10 + i,
}));

describe('validateRuleParams', () => {
  it('fills in defaults', () => {
    expect(validateRuleParams('trimmed-mean', {})).toEqual({ beta: 0.1 });
    expect(validateRuleParams('median')).toEqual({ maxWeightShare: 1 / 3 });
    expect(validateRuleParams('krum', {}, 5)).toEqual({ f: 1, mixing: 0 });
    expect(validateRuleParams('geometric-median', { nu: 1e-3 })).toEqual({
      nu: 1e-3,
      tolerance: 1e-6,
      maxIterations: 100,
      maxWeightShare: 1 / 3,
    });
    expect(validateRuleParams('fedavg', {})).toEqual({});
    // A parameter given as undefined means "use the default".
    expect(validateRuleParams('trimmed-mean', { beta: undefined })).toEqual({ beta: 0.1 });
  });

  it.each([
    [
      'krum',
      { f: 2 },
      6,
      'krum: f = 2 needs more than 2f + 2 = 6 updates (each score sums the n − f − 2 nearest); got 6',
    ],
    ['multi-krum', { f: 1, m: 6 }, 6, 'multi-krum: m = 6 is more than n − f = 5'],
    ['trimmed-mean', { beta: 0.5 }, undefined, 'trimmed-mean: beta must be a number in [0, 0.5)'],
    ['trimmed-mean', { beta: -0.1 }, undefined, 'trimmed-mean: beta must be a number in [0, 0.5)'],
    ['norm-bounding', { radius: 0 }, undefined, 'norm-bounding: radius must be a number above 0'],
    [
      'norm-bounding',
      {},
      undefined,
      'norm-bounding: radius is required (the ℓ2 norm each update is projected to',
    ],
    ['centered-clipping', { tau: -1 }, undefined, 'centered-clipping: tau must be a number above 0'],
    [
      'centered-clipping',
      { tau: 1, iterations: 0 },
      undefined,
      'centered-clipping: iterations must be an integer in [1, 100]',
    ],
    ['krum', { f: 1.5 }, undefined, 'krum: f must be an integer of at least 0'],
    ['median', { maxWeightShare: 2 }, undefined, 'median: maxWeightShare must be a number in (0, 1]'],
    ['fedavg', { beta: 0.1 }, undefined, 'fedavg: beta is not a parameter: fedavg takes none'],
    ['krum', { F: 1 }, undefined, 'krum: F is not a parameter of krum, which accepts only: f'],
    ['bulyan', {}, undefined, "unknown aggregation rule 'bulyan'; expected one of fedavg, median,"],
  ])('%s with %j (n = %s) is refused: %s', (rule, params, n, message) => {
    let caught: unknown;
    try {
      validateRuleParams(rule, params, n);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(AggregationError);
    expect((caught as AggregationError).code).toBe('INVALID_PARAMETER');
    expect((caught as AggregationError).message).toContain(message);
  });

  it('skips the checks that need n when n is unknown, and applies them when it is', () => {
    expect(ruleParamIssues('krum', { f: 3 })).toEqual([]);
    expect(ruleParamIssues('krum', { f: 3 }, 8)).toEqual([
      {
        param: 'f',
        message: '= 3 needs more than 2f + 2 = 8 updates (each score sums the n − f − 2 nearest); got 8',
      },
    ]);
    expect(ruleParamIssues('krum', { f: 3 }, 9)).toEqual([]);
  });

  it('reports every problem, each with its parameter', () => {
    expect(
      ruleParamIssues('geometric-median', { nu: -1, maxIterations: 0.5, extra: 1 }).map((i) => i.param),
    ).toEqual(['extra', 'nu', 'maxIterations']);
  });
});

describe('aggregate', () => {
  it('dispatches to each rule with its parameters', () => {
    expect(aggregate('fedavg', round)).toEqual(fedAvg(round));
    expect(aggregate('median', round)).toEqual(weightedMedian(round));
    expect(aggregate('trimmed-mean', round, { beta: 0.2 })).toEqual(trimmedMean(round, { beta: 0.2 }));
    expect(aggregate('krum', round, { f: 1 })).toEqual(krum(round, { f: 1 }));
    expect(aggregate('multi-krum', round, { f: 1, m: 2 })).toEqual(multiKrum(round, { f: 1, m: 2 }));
    expect(aggregate('geometric-median', round)).toEqual(geometricMedian(round));
    expect(aggregate('norm-bounding', round, { radius: 1 })).toEqual(normBounding(round, { radius: 1 }));
    const reference = f32(1, 1);
    expect(aggregate('centered-clipping', round, { tau: 1 }, { reference })).toEqual(
      centeredClipping(round, { tau: 1 }, reference),
    );
  });

  it('validates against the round’s size', () => {
    expect(() => aggregate('krum', round.slice(0, 4), { f: 1 })).toThrow(
      'krum: f = 1 needs more than 2f + 2 = 4',
    );
  });
});

describe('the registry', () => {
  it('lists every rule once, with its source and weighting', () => {
    expect(Object.keys(AGGREGATION_RULES)).toEqual([...AGGREGATION_RULE_NAMES]);
    for (const name of AGGREGATION_RULE_NAMES) {
      const rule = AGGREGATION_RULES[name];
      expect(rule.name).toBe(name);
      expect(rule.source).toMatch(/\d{4}/);
      expect(rule.weighting.length).toBeGreaterThan(5);
    }
  });

  it('streams exactly the rules that say so, to the same result as the batch rule', () => {
    expect(AGGREGATION_RULE_NAMES.filter((r) => AGGREGATION_RULES[r].streaming)).toEqual([
      'fedavg',
      'norm-bounding',
    ]);
    for (const [rule, params] of [
      ['fedavg', {}],
      ['norm-bounding', { radius: 2 }],
    ] as const) {
      const acc = createStreamingAggregator(rule, 2, params);
      for (const u of round) acc.add(u.delta, u.weight);
      expect(acc.count).toBe(round.length);
      const batch = aggregate(rule, round, params);
      acc.result().forEach((x, i) => expect(x).toBeCloseTo(batch[i], 6));
    }
    expect(() => createStreamingAggregator('median', 2)).toThrow(
      'median needs every update of the round at once and cannot stream; streaming rules: fedavg, norm-bounding',
    );
    expect(() => createStreamingAggregator('norm-bounding', 2)).toThrow('norm-bounding: radius is required');
  });
});

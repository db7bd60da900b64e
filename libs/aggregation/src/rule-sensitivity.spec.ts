import { AGGREGATION_RULE_NAMES } from './rules.js';
import { NO_SENSITIVITY_BOUND, RULE_SENSITIVITY, sensitivityOf } from './sensitivity.js';

describe('sensitivity declarations of the aggregation rules', () => {
  it('every rule declares a bound or says why it has none, never both', () => {
    for (const rule of AGGREGATION_RULE_NAMES) {
      const declared = rule in RULE_SENSITIVITY;
      const none = rule in NO_SENSITIVITY_BOUND;
      expect([rule, declared !== none]).toEqual([rule, true]);
      if (none) expect(NO_SENSITIVITY_BOUND[rule].length).toBeGreaterThan(40);
    }
  });

  it('bounds norm bounding by the clip norm at both levels', () => {
    expect(sensitivityOf('norm-bounding', 'silo')?.l2(0.5)).toBe(0.5);
    expect(sensitivityOf('norm-bounding', 'patient')?.l2(2)).toBe(2);
  });

  it('declares nothing for the rules without a proven bound', () => {
    for (const rule of [
      'median',
      'trimmed-mean',
      'krum',
      'multi-krum',
      'geometric-median',
      'centered-clipping',
    ]) {
      expect(sensitivityOf(rule, 'silo')).toBeUndefined();
      expect(sensitivityOf(rule, 'patient')).toBeUndefined();
    }
  });
});

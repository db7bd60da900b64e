import { RULE_SENSITIVITY, sensitivityOf } from './sensitivity.js';

describe('declared sensitivities', () => {
  it('bounds FedAvg’s DP sum by the clip norm at both levels', () => {
    expect(sensitivityOf('fedavg', 'patient')?.l2(1.5)).toBe(1.5);
    expect(sensitivityOf('fedavg', 'silo')?.l2(0.2)).toBe(0.2);
  });
  it('declares nothing for a rule it does not know', () => {
    expect(sensitivityOf('median', 'patient')).toBeUndefined();
  });
  it('explains every declared bound', () => {
    for (const levels of Object.values(RULE_SENSITIVITY)) {
      for (const bound of Object.values(levels)) expect(bound.why.length).toBeGreaterThan(20);
    }
  });
});

import { labelMapper } from './label.js';

describe('labelMapper', () => {
  it('greaterThan makes values above the threshold positive', () => {
    const f = labelMapper('num', { kind: 'greaterThan', value: 0 });
    expect([0, 1, 4].map(f)).toEqual([
      { ok: true, label: 0 },
      { ok: true, label: 1 },
      { ok: true, label: 1 },
    ]);
  });

  it('equals makes the listed values positive', () => {
    const f = labelMapper('y', { kind: 'equals', values: [2, 3] });
    expect([1, 2, 3].map((v) => f(v))).toEqual([
      { ok: true, label: 0 },
      { ok: true, label: 1 },
      { ok: true, label: 1 },
    ]);
  });

  it('binary keeps 0/1 and rejects anything else', () => {
    const f = labelMapper('y', { kind: 'binary' });
    expect(f(1)).toEqual({ ok: true, label: 1 });
    expect(f(2)).toEqual({ ok: false, reason: 'label column "y": 2 is not 0 or 1' });
  });
});

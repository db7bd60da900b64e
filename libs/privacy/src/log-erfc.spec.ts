import { logAdd } from './log-add.js';
import { logErfc } from './log-erfc.js';

describe('logErfc', () => {
  // Reference: scipy.special (1.17), log(2) + log_ndtr(-x·√2) — the expression dp-accounting's _log_erfc uses.
  it.each([
    [-5, 0.6931471805591766],
    [-1, 0.6112323176780705],
    [-0.1, 0.10657640058652262],
    [0, 0],
    [0.3, -0.39843005144008525],
    [1, -1.849605509933249],
    [1.9, -4.93234586278027],
    [2, -5.36494126461664],
    [2.1, -5.816010968867557],
    [3, -10.720363041981116],
    [5, -27.200889545537446],
    [10, -102.87988902484493],
    [30, -903.9741171106442],
    [100, -10005.177585122668],
    [1e4, -100000009.78270535],
  ])('log erfc(%p) = %p', (x, expected) => {
    const actual = logErfc(x);
    if (expected === 0) expect(actual).toBe(0);
    else expect(Math.abs(actual / expected - 1)).toBeLessThan(1e-13);
  });

  it('handles the infinities', () => {
    expect(logErfc(Infinity)).toBe(-Infinity);
    expect(logErfc(-Infinity)).toBeCloseTo(Math.LN2, 15);
    expect(logErfc(Number.NaN)).toBeNaN();
  });
});

describe('logAdd', () => {
  it('adds in log space without overflow', () => {
    expect(logAdd(Math.log(2), Math.log(3))).toBeCloseTo(Math.log(5), 14);
    expect(logAdd(1000, 1000)).toBeCloseTo(1000 + Math.LN2, 12);
    expect(logAdd(-Infinity, 7)).toBe(7);
    expect(logAdd(-Infinity, -Infinity)).toBe(-Infinity);
  });
});

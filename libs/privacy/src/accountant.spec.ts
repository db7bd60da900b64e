import { Accountant, ACCOUNTANT_FORMAT } from './accountant.js';
import { dpSgdEpsilon } from './dp-sgd-epsilon.js';
import { DEFAULT_ORDERS } from './orders.js';
import { PrivacyError } from './errors.js';

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
const relErr = (actual: number, expected: number) => Math.abs(actual / expected - 1);
const OPACUS_ORDERS = [...range(1, 100).map((x) => 1 + x / 10), ...range(12, 64)];

describe('Accountant', () => {
  // pytorch/opacus opacus/accountants/analysis/rdp.py, module docstring example: steps (q = 1e-5, σ = 1.0, 10) then
  // (q = 1e-4, σ = 3.0, 4), orders 2 … 32, δ = 1e-5 → (ε, order) = (0.336, 23), ε given to 3 digits.
  it('composes different mechanisms (Opacus rdp.py docstring: ε = 0.336 at order 23)', () => {
    const accountant = new Accountant({ orders: range(2, 33) });
    accountant.record({ samplingRate: 1e-5, noiseMultiplier: 1.0, count: 10 });
    accountant.record({ samplingRate: 1e-4, noiseMultiplier: 3.0, count: 4 });
    const spent = accountant.spent(1e-5);
    expect(spent.epsilon.toFixed(3)).toBe('0.336');
    expect(spent.order).toBe(23);
    expect(spent.delta).toBe(1e-5);
  });

  // pytorch/opacus opacus/tests/accountants_test.py, test_rdp_accountant: 2250 single steps of σ = 1.5, q = 0.04,
  // δ = 1e-5 → 7.32911117143 (see dp-sgd-epsilon.spec.ts for the 3e-5 gap).
  it('charges round by round (Opacus test_rdp_accountant)', () => {
    const accountant = new Accountant({ orders: OPACUS_ORDERS });
    for (let i = 0; i < 2250; i++) accountant.record({ samplingRate: 0.04, noiseMultiplier: 1.5 });
    expect(relErr(accountant.spent(1e-5).epsilon, 7.32911117143)).toBeLessThan(1e-4);
    expect(accountant.totalSteps).toBe(2250);
    expect(accountant.steps).toEqual([{ samplingRate: 0.04, noiseMultiplier: 1.5, count: 2250 }]);
  });

  it('agrees with dpSgdEpsilon and starts at zero', () => {
    const accountant = new Accountant();
    expect(accountant.orders).toEqual(DEFAULT_ORDERS);
    expect(accountant.spent(1e-5).epsilon).toBe(0);
    accountant.record({ samplingRate: 0.01, noiseMultiplier: 1.1, count: 500 });
    const expected = dpSgdEpsilon({ samplingRate: 0.01, noiseMultiplier: 1.1, steps: 500 }, 1e-5);
    const spent = accountant.spent(1e-5);
    expect(relErr(spent.epsilon, expected.epsilon)).toBeLessThan(1e-12);
    expect(spent.order).toBe(expected.order);
    expect(accountant.deltaAt(spent.epsilon).delta).toBeCloseTo(1e-5, 10);
  });

  it('predicts the next rounds without charging them', () => {
    const step = { samplingRate: 0.02, noiseMultiplier: 1.0 };
    const accountant = new Accountant();
    accountant.record({ ...step, count: 100 });
    const before = accountant.spent(1e-5).epsilon;
    const predicted = accountant.predict({ ...step, count: 50 }, 1e-5);
    expect(accountant.spent(1e-5).epsilon).toBe(before);
    expect(predicted.epsilon).toBeGreaterThan(before);
    accountant.record({ ...step, count: 50 });
    expect(accountant.spent(1e-5)).toEqual(predicted);
  });

  it('tells how many more rounds fit in a budget, so training stops before exceeding it', () => {
    const step = { samplingRate: 0.05, noiseMultiplier: 1.2 };
    const budget = { epsilon: 3, delta: 1e-5 };
    const accountant = new Accountant();
    accountant.record({ ...step, count: 40 });
    const k = accountant.remainingSteps(step, budget);
    expect(k).toBeGreaterThan(0);
    expect(accountant.predict({ ...step, count: k }, 1e-5).epsilon).toBeLessThanOrEqual(3);
    expect(accountant.predict({ ...step, count: k + 1 }, 1e-5).epsilon).toBeGreaterThan(3);
    accountant.record({ ...step, count: k });
    expect(accountant.remainingSteps(step, budget)).toBe(0);
    expect(accountant.remainingSteps({ samplingRate: 0, noiseMultiplier: 1 }, budget, 1000)).toBe(1000);
  });

  it('round-trips through JSON, recomputing the same RDP', () => {
    const accountant = new Accountant({ orders: [1.5, 2, 4, 8, 16, 32] });
    accountant.record({ samplingRate: 0.01, noiseMultiplier: 1.1, count: 30 });
    accountant.record({ samplingRate: 0.01, noiseMultiplier: 1.1 });
    accountant.record({ samplingRate: 0.02, noiseMultiplier: 0.9, count: 5 });
    const stored = JSON.parse(JSON.stringify(accountant)) as unknown;
    expect(stored).toEqual({
      format: ACCOUNTANT_FORMAT,
      orders: [1.5, 2, 4, 8, 16, 32],
      steps: [
        { samplingRate: 0.01, noiseMultiplier: 1.1, count: 31 },
        { samplingRate: 0.02, noiseMultiplier: 0.9, count: 5 },
      ],
    });
    const restored = Accountant.fromJSON(stored);
    expect(Array.from(restored.rdp())).toEqual(Array.from(accountant.rdp()));
    expect(restored.spent(1e-6)).toEqual(accountant.spent(1e-6));
  });

  it.each([
    [null],
    [{ format: 'other', orders: [2], steps: [] }],
    [{ format: ACCOUNTANT_FORMAT, orders: [], steps: [] }],
    [{ format: ACCOUNTANT_FORMAT, orders: [1], steps: [] }],
    [{ format: ACCOUNTANT_FORMAT, orders: [2], steps: [{ samplingRate: 2, noiseMultiplier: 1, count: 1 }] }],
    [
      {
        format: ACCOUNTANT_FORMAT,
        orders: [2],
        steps: [{ samplingRate: 0.1, noiseMultiplier: 1, count: 0.5 }],
      },
    ],
  ])('refuses a stored state that does not parse: %p', (state) => {
    expect(() => Accountant.fromJSON(state)).toThrow(expect.objectContaining({ code: 'INVALID_STATE' }));
  });

  it('refuses bad steps, deltas and orders', () => {
    const accountant = new Accountant();
    const bad = (f: () => unknown, code: string) => expect(f).toThrow(expect.objectContaining({ code }));
    bad(() => accountant.record({ samplingRate: 1.1, noiseMultiplier: 1 }), 'INVALID_SAMPLING_RATE');
    bad(() => accountant.record({ samplingRate: 0.1, noiseMultiplier: -1 }), 'INVALID_NOISE_MULTIPLIER');
    bad(() => accountant.record({ samplingRate: 0.1, noiseMultiplier: 1, count: -2 }), 'INVALID_STEPS');
    bad(() => accountant.spent(0), 'INVALID_DELTA');
    bad(() => accountant.predict({ samplingRate: 0.1, noiseMultiplier: 1, count: 1 }, 1), 'INVALID_DELTA');
    bad(() => new Accountant({ orders: [2, Infinity] }), 'INVALID_ORDERS');
    expect(() => new Accountant({ orders: [] })).toThrow(PrivacyError);
    expect(accountant.totalSteps).toBe(0);
  });
});

describe('Accountant with Skellam steps (secure aggregation)', () => {
  it('charges the Skellam bound, merges equal steps and survives a JSON round trip', () => {
    const skellam = { mu: 5e5, l1: 3e4, l2: 1000 };
    const a = new Accountant();
    a.record({ samplingRate: 1, noiseMultiplier: 1, skellam, count: 3 });
    a.record({ samplingRate: 1, noiseMultiplier: 1, skellam });
    expect(a.steps).toEqual([{ samplingRate: 1, noiseMultiplier: 1, count: 4, skellam }]);
    const gaussian = new Accountant();
    gaussian.record({ samplingRate: 1, noiseMultiplier: 1, count: 4 });
    // σ = √(2μ)/Δ₂ = 1: the Skellam bound is the Gaussian's at integer orders plus a small discrete term.
    expect(a.spent(1e-5).epsilon).toBeGreaterThan(gaussian.spent(1e-5).epsilon * 0.99);
    expect(a.spent(1e-5).epsilon).toBeLessThan(gaussian.spent(1e-5).epsilon * 1.05);
    const back = Accountant.fromJSON(JSON.parse(JSON.stringify(a.toJSON())));
    expect(back.spent(1e-5)).toEqual(a.spent(1e-5));
    expect(() => a.record({ samplingRate: 0.5, noiseMultiplier: 1, skellam })).toThrow(/rate 1/);
  });
});

import { logErfc } from './log-erfc.js';
import { addRdp } from './rdp-composition.js';
import { subsampledGaussianRdp } from './rdp-subsampled-gaussian.js';
import { deltaFromRdp, epsilonFromRdp } from './rdp-to-dp.js';

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

describe('RDP → (ε, δ)', () => {
  // google/differential-privacy python/dp_accounting/dp_accounting/rdp/rdp_privacy_accountant_test.py,
  // test_compute_epsilon_delta_pure_dp (also tensorflow/privacy rdp_accountant_test.py,
  // test_get_privacy_spent_check_target_delta / _check_target_eps): orders 2 … 32, RDP 1.1 at every order (pure DP),
  // δ = 1e-5 → ε = 1.32783806176 at order 32, and back.
  it('matches dp-accounting on a constant (pure-DP) curve, both ways', () => {
    const orders = range(2, 33);
    const rdp = orders.map(() => 1.1);
    const { epsilon, order } = epsilonFromRdp(orders, rdp, 1e-5);
    expect(epsilon).toBeCloseTo(1.32783806176, 10);
    expect(order).toBe(32);
    const back = deltaFromRdp(orders, rdp, 1.32783806176);
    expect(back.delta / 1e-5 - 1).toBeLessThan(1e-9);
    expect(back.order).toBe(32);
  });

  // Same file, test_compute_epsilon_delta_gaussian (and TF Privacy test_get_privacy_spent_check_target_delta, second
  // case): the Gaussian mechanism with σ = 4.530877117 is exactly (1, 1e-6)-DP; orders 1.000, 1.001, … 99.999.
  it('recovers the exact (1, 1e-6) of a Gaussian with σ = 4.530877117 on a fine grid', () => {
    const orders = range(1001, 100000).map((i) => 0.001 * i); // order 1 itself is excluded (RDP of order 1 is KL)
    const rdp = subsampledGaussianRdp(1, 4.530877117, orders);
    expect(epsilonFromRdp(orders, rdp, 1e-6).epsilon).toBeCloseTo(1, 7);
    expect(deltaFromRdp(orders, rdp, 1).delta).toBeCloseTo(1e-6, 12);
  });

  // dp-accounting test_epsilon_delta_consistency: δ → ε → δ returns the same δ (7 places), or δ' <= δ when ε = 0,
  // or δ' = 1 when ε = ∞, over q ∈ {0, .01, .1, .8, 1}, σ ∈ {0, .1, 1, 10, 100}, orders 2 … 49.
  it('is consistent both ways across sampling rates and noise', () => {
    const orders = range(2, 50);
    for (const q of [0, 0.01, 0.1, 0.8, 1]) {
      for (const sigma of [0, 0.1, 1, 10, 100]) {
        const rdp = subsampledGaussianRdp(q, sigma, orders);
        for (const delta of [0.99, 0.9, 0.1, 0.01, 1e-3, 1e-5, 1e-9, 1e-12]) {
          const { epsilon } = epsilonFromRdp(orders, rdp, delta);
          const delta2 = deltaFromRdp(orders, rdp, epsilon).delta;
          if (epsilon === Infinity) expect(delta2).toBe(1);
          else if (epsilon === 0) expect(delta2).toBeLessThanOrEqual(delta);
          else expect(delta2).toBeCloseTo(delta, 7);
        }
      }
    }
  });

  // dp-accounting test_delta_bounds_gaussian: for the Gaussian with σ = 1 the RDP δ lies between the exact δ of
  // Balle & Wang 2018 (arXiv:1805.06530, Thm. 8) and the classic exp(−(ε − ½)²/2).
  it('brackets the Gaussian mechanism between its exact δ and the classic bound', () => {
    const orders = range(10, 505)
      .map((x) => 0.1 * x)
      .filter((a) => a > 1);
    const rdp = subsampledGaussianRdp(1, 1, orders);
    const erfc = (x: number) => Math.exp(logErfc(x));
    for (let x = 0; x < 500; x++) {
      const eps = 0.1 * x;
      const { delta } = deltaFromRdp(orders, rdp, eps);
      const exact = erfc((eps - 0.5) / Math.SQRT2) / 2 - (Math.exp(eps) * erfc((eps + 0.5) / Math.SQRT2)) / 2;
      expect(exact).toBeLessThanOrEqual(delta + 1e-300);
      const classic = eps >= 0.5 ? Math.exp(-0.5 * (eps - 0.5) ** 2) : 1;
      expect(delta).toBeLessThanOrEqual(classic + 1e-300);
    }
  });

  it('handles the edge cases of dp-accounting', () => {
    // δ = 0: ε = 0 only when nothing was spent (dp-accounting test_zero_poisson_sample), else ∞.
    expect(epsilonFromRdp([2, 3], [0, 0], 0)).toEqual({ epsilon: 0, order: 0 });
    expect(epsilonFromRdp([2, 3], [0.1, 0.1], 0).epsilon).toBe(Infinity);
    // No noise: ε = ∞ (dp-accounting test_epsilon_non_private_gaussian), δ = 1.
    const none = subsampledGaussianRdp(1, 0, [3.14159]);
    expect(epsilonFromRdp([3.14159], none, 0.1).epsilon).toBe(Infinity);
    expect(deltaFromRdp([3.14159], none, 5).delta).toBe(1);
    // A tiny RDP already meets δ through the KL bound: ε = 0.
    expect(epsilonFromRdp([2], [1e-12], 0.5).epsilon).toBe(0);
    // Orders up to 1.01 are skipped by the conversion.
    expect(epsilonFromRdp([1.005], [0.5], 1e-5).epsilon).toBe(Infinity);
    // At order ∞ the bound is the pure-DP ε = RDP(∞).
    expect(epsilonFromRdp([Infinity], [0.7], 1e-5)).toEqual({ epsilon: 0.7, order: Infinity });
    // Negative RDP (rounding) reads as no loss.
    expect(epsilonFromRdp([2], [-1e-18], 1e-5).epsilon).toBe(0);
  });

  it('refuses malformed input', () => {
    expect(() => epsilonFromRdp([2, 3], [1], 1e-5)).toThrow(
      expect.objectContaining({ code: 'INVALID_ORDERS' }),
    );
    expect(() => epsilonFromRdp([0.5], [1], 1e-5)).toThrow(
      expect.objectContaining({ code: 'INVALID_ORDERS' }),
    );
    expect(() => epsilonFromRdp([2], [1], -1e-5)).toThrow(expect.objectContaining({ code: 'INVALID_DELTA' }));
    expect(() => epsilonFromRdp([2], [1], 1.5)).toThrow(expect.objectContaining({ code: 'INVALID_DELTA' }));
    expect(() => deltaFromRdp([2], [1], -1)).toThrow(expect.objectContaining({ code: 'INVALID_EPSILON' }));
    expect(() => addRdp([1, 2], [1])).toThrow(expect.objectContaining({ code: 'INVALID_ORDERS' }));
  });
});

import { DEFAULT_ORDERS } from './orders.js';
import { skellamRdp } from './rdp-skellam.js';
import { subsampledGaussianRdp } from './rdp-subsampled-gaussian.js';

describe('Skellam RDP (Agarwal, Kairouz, Liu 2021, Thm 3.5)', () => {
  it('matches the theorem computed by hand', () => {
    // α = 2, μ = 100, Δ₂ = 10, Δ₁ = 50: 2·100/400 + min((3·100 + 300)/160000, 150/400) = 0.5 + 0.00375.
    expect(skellamRdp({ mu: 100, l1: 50, l2: 10 }, [2])[0]).toBeCloseTo(0.50375, 12);
    // α = 8, μ = 2, Δ₂ = 1, Δ₁ = 1: 8/8 + min((15 + 6)/64, 3/8) = 1 + 0.328125.
    expect(skellamRdp({ mu: 2, l1: 1, l2: 1 }, [8])[0]).toBeCloseTo(1.328125, 12);
  });

  it('approaches the Gaussian of the same variance as μ grows, from above', () => {
    const orders = DEFAULT_ORDERS.filter((a) => Number.isInteger(a));
    const sigma = 1.5;
    const l2 = 1000;
    const mu = (sigma * l2) ** 2 / 2;
    const skellam = skellamRdp({ mu, l1: l2 * 30, l2 }, orders);
    const gaussian = subsampledGaussianRdp(1, sigma, orders);
    for (let k = 0; k < orders.length; k++) {
      expect(skellam[k]).toBeGreaterThanOrEqual(gaussian[k]);
      expect(skellam[k] / gaussian[k]).toBeLessThan(1.001);
    }
  });

  it('gives no bound at fractional orders and refuses a zero μ', () => {
    expect(skellamRdp({ mu: 10, l1: 1, l2: 1 }, [1.5])[0]).toBe(Infinity);
    expect(() => skellamRdp({ mu: 0, l1: 1, l2: 1 }, [2])).toThrow(/mu/);
  });
});

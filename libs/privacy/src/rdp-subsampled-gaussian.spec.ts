import { PrivacyError } from './errors.js';
import { composeRdp } from './rdp-composition.js';
import {
  logAFractional,
  logAInteger,
  rdpSubsampledGaussian,
  subsampledGaussianRdp,
} from './rdp-subsampled-gaussian.js';

const relErr = (actual: number, expected: number) => Math.abs(actual / expected - 1);

describe('RDP of the Poisson-subsampled Gaussian', () => {
  // google/differential-privacy python/dp_accounting/dp_accounting/rdp/rdp_privacy_accountant_test.py,
  // test_compute_rdp_poisson_sampled_gaussian: q = 0.01, σ = 2.5, 50 steps (checked there with rtol 1e-4).
  it('matches dp-accounting at integer and fractional orders (q = 0.01, σ = 2.5, 50 steps)', () => {
    const orders = [1.5, 2.5, 5, 50, 100, Infinity];
    const expected = [6.70579741e-4, 1.0854871e-3, 2.18075656e-3, 2.38460375e-2, 1.67416308e2, Infinity];
    const rdp = composeRdp(subsampledGaussianRdp(0.01, 2.5, orders), 50);
    for (let k = 0; k < 5; k++) expect(relErr(rdp[k], expected[k])).toBeLessThan(1e-6);
    expect(rdp[5]).toBe(Infinity);
  });

  // tensorflow/privacy tensorflow_privacy/privacy/analysis/rdp_accountant_test.py, test_compute_rdp_scalar:
  // compute_rdp(q=0.1, noise_multiplier=2, steps=10, orders=5) ≈ 0.07737 (5 places).
  it('matches TF Privacy at an integer order (q = 0.1, σ = 2, 10 steps, α = 5)', () => {
    expect(rdpSubsampledGaussian(0.1, 2, 5) * 10).toBeCloseTo(0.07737, 5);
  });

  // Same file, test_compute_rdp_no_data and test_compute_rdp_no_sampling: q = 0 → 0; q = 1, σ = 10, α = 20 → 0.1.
  it('is 0 without data and α/(2σ²) without sampling', () => {
    expect(rdpSubsampledGaussian(0, 10, 20)).toBe(0);
    expect(rdpSubsampledGaussian(1, 10, 20)).toBeCloseTo(0.1, 15);
    // dp-accounting test_zero_poisson_sample: q = 0 costs nothing even with σ = 0.
    expect(rdpSubsampledGaussian(0, 0, 3.14159)).toBe(0);
    // dp-accounting test_compute_rdp_gaussian: α = 3.14159, σ = 2.71828 → α/(2σ²).
    expect(rdpSubsampledGaussian(1, 2.71828, 3.14159)).toBeCloseTo(3.14159 / (2 * 2.71828 ** 2), 15);
  });

  it('is infinite without noise or at order ∞', () => {
    expect(rdpSubsampledGaussian(0.5, 0, 2)).toBe(Infinity);
    expect(rdpSubsampledGaussian(0.5, 1, Infinity)).toBe(Infinity);
  });

  // dp-accounting test_log_a_frac_positive: q = 0.4, σ = 12, orders 58.5 … 59.5 once gave a negative log A.
  it('keeps log A positive where cancellation once made it negative', () => {
    for (let k = 0; k <= 20; k++) expect(logAFractional(0.4, 12, 58.5 + k / 20)).toBeGreaterThan(0);
  });

  // dp-accounting test_log_a_frac_early_termination: q = 0.1, σ = 1 does not converge at small fractional orders;
  // those orders become +∞ (never chosen) instead of an underestimate.
  it('gives up on fractional orders whose series do not converge, with +∞', () => {
    const rdp = subsampledGaussianRdp(0.1, 1, [1.1, 1.5, 2, 2.5]);
    expect(rdp[0]).toBe(Infinity);
    expect(rdp[1]).toBe(Infinity);
    expect(Number.isFinite(rdp[2])).toBe(true);
    expect(Number.isFinite(rdp[3])).toBe(true);
  });

  // The cases of dp-accounting's test_compute_log_a_equals_mp (which compares with mpmath quadrature, rtol 1e-4,
  // atol 1e-8). The expected values here were computed for this test with mpmath at 40 digits: the exact finite sum
  // for integer α, and quadrature split at z0 and at the peak for fractional α.
  it.each([
    [1e-6, 0.1, 256, 3260463.2292971606],
    [0.99, 0.1, 256, 3263997.427114021],
    [1e-6, 1, 27, 8.769511304848498e-10],
    [1e-3, 1, 2, 1.7182803522127806e-6],
    [0.01, 10, 20, 0.00019129699912825616],
    [1e-7, 0.1, 1.01, 4.003412322526399e-8],
    [1e-5, 0.1, 256.1, 3263607.0397884212],
    [1e-4, 1, 1.5, 6.4426869538366495e-9],
    [0.1, 100, 20.5, 0.00019991818458068295],
    [0.999, 100, 256.1, 3.260108037973113],
  ])('log A(q=%p, σ=%p, α=%p) ≈ %p', (q, sigma, alpha, expected) => {
    const logA = Number.isInteger(alpha) ? logAInteger(q, sigma, alpha) : logAFractional(q, sigma, alpha);
    // The fractional series uses |C(α, i)| and so is an upper bound; it stays within dp-accounting's tolerance.
    expect(logA).toBeGreaterThanOrEqual(expected * (1 - 1e-12));
    expect(Math.abs(logA - expected)).toBeLessThanOrEqual(1e-8 + 1e-4 * Math.abs(expected));
  });

  it('grows with the order and shrinks with the noise', () => {
    const orders = [1.5, 2, 3.5, 8, 32, 64];
    const rdp = subsampledGaussianRdp(0.01, 1.1, orders);
    for (let k = 1; k < orders.length; k++) expect(rdp[k]).toBeGreaterThan(rdp[k - 1]);
    const noisier = subsampledGaussianRdp(0.01, 1.5, orders);
    for (let k = 0; k < orders.length; k++) expect(noisier[k]).toBeLessThan(rdp[k]);
  });

  it.each([
    [-0.1, 1, [2], 'INVALID_SAMPLING_RATE'],
    [1.5, 1, [2], 'INVALID_SAMPLING_RATE'],
    [Number.NaN, 1, [2], 'INVALID_SAMPLING_RATE'],
    [0.1, -1, [2], 'INVALID_NOISE_MULTIPLIER'],
    [0.1, Infinity, [2], 'INVALID_NOISE_MULTIPLIER'],
    [0.1, 1, [], 'INVALID_ORDERS'],
    [0.1, 1, [1], 'INVALID_ORDERS'],
    [0.1, 1, [0.5], 'INVALID_ORDERS'],
  ])('refuses q=%p σ=%p orders=%p with %s', (q, sigma, orders, code) => {
    expect(() => subsampledGaussianRdp(q, sigma, orders)).toThrow(PrivacyError);
    expect(() => subsampledGaussianRdp(q, sigma, orders)).toThrow(expect.objectContaining({ code }));
  });
});

describe('composeRdp', () => {
  // dp-accounting test_rdp_composition: composing a Gaussian 6 times is 6 × its RDP.
  it('multiplies by the number of steps, and 0 steps cost nothing even at ∞', () => {
    const one = subsampledGaussianRdp(1, 3.14159, [2.71828]);
    expect(composeRdp(one, 6)[0]).toBeCloseTo(6 * one[0], 15);
    expect(Array.from(composeRdp([Infinity, 1], 0))).toEqual([0, 0]);
    expect(() => composeRdp(one, 1.5)).toThrow(expect.objectContaining({ code: 'INVALID_STEPS' }));
    expect(() => composeRdp(one, -1)).toThrow(expect.objectContaining({ code: 'INVALID_STEPS' }));
  });
});

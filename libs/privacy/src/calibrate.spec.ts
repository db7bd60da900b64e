import { calibrateNoiseMultiplier, MAX_NOISE_MULTIPLIER } from './calibrate.js';
import { dpSgdEpsilon } from './dp-sgd-epsilon.js';
import { PrivacyError } from './errors.js';

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
const relErr = (actual: number, expected: number) => Math.abs(actual / expected - 1);
const TF_DP_SGD_ORDERS = [1.25, 1.5, 1.75, 2, 2.25, 2.5, 3, 3.5, 4, 4.5, ...range(5, 64), 128, 256, 512];
const OPACUS_ORDERS = [...range(1, 100).map((x) => 1 + x / 10), ...range(12, 64)];

describe('calibrateNoiseMultiplier', () => {
  // pytorch/opacus opacus/tests/accountants_test.py, test_get_noise_multiplier_rdp_steps (steps = 2000 → 1.3562) and
  // test_get_noise_multiplier_rdp_epochs (90 epochs = 2250 steps → 1.416): target ε = 8, δ = 1e-5, q = 0.04, both to
  // 4 places. Opacus stops its bisection once ε is within 0.01 of the target, so its σ sits slightly above the
  // smallest one; 1e-3 relative covers that.
  it.each([
    [2000, 1.3562],
    [2250, 1.416],
  ])('Opacus get_noise_multiplier: %p steps → σ ≈ %p', (steps, sigma) => {
    const c = calibrateNoiseMultiplier({
      targetEpsilon: 8,
      delta: 1e-5,
      samplingRate: 0.04,
      steps,
      orders: OPACUS_ORDERS,
    });
    expect(relErr(c.noiseMultiplier, sigma)).toBeLessThan(1e-3);
    expect(c.epsilon).toBeLessThanOrEqual(8);
  });

  // The inverse of tensorflow/privacy compute_dp_sgd_privacy_test.py test_compute_dp_sgd_privacy Test0 / Test1:
  // the ε TF Privacy reports for σ = 1.3 (resp. 1.0) calibrates back to σ = 1.3 (resp. 1.0).
  it.each([
    ['Test0', 60000, 150, 15, 1e-5, 0.7242234026109595, 1.3],
    ['Test1', 100000, 100, 30, 1e-7, 1.4154988495444842, 1.0],
  ])('TF Privacy %s backwards', (_name, n, batch, epochs, delta, epsilon, sigma) => {
    const c = calibrateNoiseMultiplier({
      targetEpsilon: epsilon,
      delta,
      samplingRate: batch / n,
      steps: Math.ceil((epochs * n) / batch),
      orders: TF_DP_SGD_ORDERS,
    });
    expect(relErr(c.noiseMultiplier, sigma)).toBeLessThan(1e-4);
  });

  it('returns the smallest σ to the tolerance: its ε meets the target, 1.0001 × smaller does not', () => {
    const req = { targetEpsilon: 3, delta: 1e-5, samplingRate: 0.01, steps: 1000 };
    const c = calibrateNoiseMultiplier(req);
    const at = (s: number) => dpSgdEpsilon({ ...req, noiseMultiplier: s }, req.delta);
    expect(at(c.noiseMultiplier)).toEqual({ epsilon: c.epsilon, order: c.order });
    expect(c.epsilon).toBeLessThanOrEqual(3);
    expect(at(c.noiseMultiplier * (1 - 1e-4)).epsilon).toBeGreaterThan(3);
  });

  it('finds σ below 1 and far above 1', () => {
    const loose = calibrateNoiseMultiplier({
      targetEpsilon: 50,
      delta: 1e-5,
      samplingRate: 0.001,
      steps: 10,
    });
    expect(loose.noiseMultiplier).toBeLessThan(1);
    expect(loose.epsilon).toBeLessThanOrEqual(50);
    // Full batches, 1000 steps: close to the Gaussian's σ ≈ √(2T log(1/δ))/ε scale.
    const strict = calibrateNoiseMultiplier({
      targetEpsilon: 0.5,
      delta: 1e-5,
      samplingRate: 1,
      steps: 1000,
    });
    expect(strict.noiseMultiplier).toBeGreaterThan(100);
    expect(strict.epsilon).toBeLessThanOrEqual(0.5);
  });

  it('says so when the target is out of reach', () => {
    const req = { targetEpsilon: 1e-4, delta: 1e-5, samplingRate: 1, steps: 1_000_000 };
    expect(() => calibrateNoiseMultiplier(req)).toThrow(PrivacyError);
    expect(() => calibrateNoiseMultiplier(req)).toThrow(
      expect.objectContaining({
        code: 'TARGET_UNREACHABLE',
        message: expect.stringContaining('out of reach'),
      }),
    );
    expect(MAX_NOISE_MULTIPLIER).toBe(1e6);
  });

  it.each([
    [{ targetEpsilon: 0 }, 'INVALID_EPSILON'],
    [{ targetEpsilon: Infinity }, 'INVALID_EPSILON'],
    [{ delta: 0 }, 'INVALID_DELTA'],
    [{ delta: 1 }, 'INVALID_DELTA'],
    [{ samplingRate: 0 }, 'INVALID_SAMPLING_RATE'],
    [{ samplingRate: 1.2 }, 'INVALID_SAMPLING_RATE'],
    [{ steps: 0 }, 'INVALID_STEPS'],
    [{ steps: 2.5 }, 'INVALID_STEPS'],
    [{ relativeTolerance: 1e-3 }, 'INVALID_TOLERANCE'],
    [{ orders: [1] }, 'INVALID_ORDERS'],
  ])('refuses %p with %s', (override, code) => {
    const req = { targetEpsilon: 1, delta: 1e-5, samplingRate: 0.01, steps: 100, ...override };
    expect(() => calibrateNoiseMultiplier(req)).toThrow(expect.objectContaining({ code }));
  });
});

import { dpSgdDelta, dpSgdEpsilon, dpSgdRdp } from './dp-sgd-epsilon.js';
import { DEFAULT_ORDERS } from './orders.js';

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
const relErr = (actual: number, expected: number) => Math.abs(actual / expected - 1);

/** The grid of TF Privacy's compute_dp_sgd_privacy_lib.compute_dp_sgd_privacy. */
const TF_DP_SGD_ORDERS = [1.25, 1.5, 1.75, 2, 2.25, 2.5, 3, 3.5, 4, 4.5, ...range(5, 64), 128, 256, 512];
/** Opacus RDPAccountant.DEFAULT_ALPHAS (opacus/accountants/rdp.py). */
const OPACUS_ORDERS = [...range(1, 100).map((x) => 1 + x / 10), ...range(12, 64)];

describe('ε of DP-SGD (Poisson-subsampled Gaussian, T steps)', () => {
  it('uses dp-accounting default orders: 1.1 … 10.9, 11 … 63, 128 … 1024', () => {
    expect(DEFAULT_ORDERS).toHaveLength(99 + 53 + 4);
    expect(DEFAULT_ORDERS.slice(0, 3)).toEqual([1.1, 1.2, 1.3]);
    expect(DEFAULT_ORDERS.slice(-5)).toEqual([63, 128, 256, 512, 1024]);
  });

  // tensorflow/privacy tensorflow_privacy/privacy/analysis/compute_dp_sgd_privacy_test.py,
  // test_compute_dp_sgd_privacy (Test0, Test1, Test2): (n, batch, σ, epochs, δ) → (ε, order), q = batch/n,
  // steps = ceil(epochs · n / batch), dp-accounting RDP with the tight conversion.
  it.each([
    ['Test0', 60000, 150, 1.3, 15, 1e-5, 0.7242234026109595, 19],
    ['Test1', 100000, 100, 1.0, 30, 1e-7, 1.4154988495444842, 13],
    ['Test2', 100000000, 1024, 0.1, 10, 1e-7, 5907982.3113984, 1.25],
  ])('TF Privacy %s', (_name, n, batch, sigma, epochs, delta, epsilon, order) => {
    const run = {
      samplingRate: batch / n,
      noiseMultiplier: sigma,
      steps: Math.ceil((epochs * n) / batch),
      orders: TF_DP_SGD_ORDERS,
    };
    const result = dpSgdEpsilon(run, delta);
    expect(relErr(result.epsilon, epsilon)).toBeLessThan(1e-6);
    expect(result.order).toBe(order);
  });

  // Same file, test_compute_dp_sgd_example_privacy, the RDP cases: 1.2 epochs, σ = 0.7, δ = 1e-5, dp-accounting's
  // default orders; with Poisson rate 0.01 the run is ceil(1.2 / 0.01) = 120 steps, without sampling ceil(1.2) = 2
  // full-batch steps; microbatching halves σ.
  it.each([
    ['no_microbatching_no_subsampling_rdp', 1, 0.7, 2, 10.8602036],
    ['microbatching_no_subsampling_rdp', 1, 0.35, 2, 26.2880374],
    ['no_microbatching_with_subsampling_rdp', 0.01, 0.7, 120, 3.2392676],
    ['microbatching_with_subsampling_rdp', 0.01, 0.35, 120, 22.6248601],
  ])('TF Privacy %s', (_name, q, sigma, steps, epsilon) => {
    const result = dpSgdEpsilon({ samplingRate: q, noiseMultiplier: sigma, steps }, 1e-5);
    expect(relErr(result.epsilon, epsilon)).toBeLessThan(1e-6);
  });

  // pytorch/opacus opacus/tests/accountants_test.py, test_rdp_accountant: σ = 1.5, q = 0.04, int(90 / 0.04) = 2250
  // steps, δ = 1e-5 → ε = 7.32911117143 with Opacus' orders. Opacus keeps the signs of the fractional binomial
  // series; dp-accounting (and this library) bound them by absolute values, which costs 3e-5 here.
  it('Opacus test_rdp_accountant: ε = 7.3291 (rel. 1e-4)', () => {
    const result = dpSgdEpsilon(
      { samplingRate: 0.04, noiseMultiplier: 1.5, steps: 2250, orders: OPACUS_ORDERS },
      1e-5,
    );
    expect(relErr(result.epsilon, 7.32911117143)).toBeLessThan(1e-4);
    expect(result.epsilon).toBeGreaterThanOrEqual(7.32911117143);
  });

  // The classic DP-SGD setting: Abadi et al. 2016 / tensorflow/privacy tutorials/README.md ("Using Command-Line
  // Interface for Privacy Budgeting"): N = 60000, batch 256, σ = 1.1, 60 epochs, δ = 1e-5 → "eps = 3.01", computed
  // in 2019 with the classic conversion ε = min rdp(α) − log δ/(α − 1) (Mironov 2017, Prop. 3) on
  // compute_dp_sgd_privacy.py's grid. The tight conversion gives less for the same RDP curve.
  it('classic MNIST DP-SGD: 3.01 with the 2019 conversion, less with the tight one', () => {
    const run = {
      samplingRate: 256 / 60000,
      noiseMultiplier: 1.1,
      steps: Math.ceil((60 * 60000) / 256),
      orders: TF_DP_SGD_ORDERS,
    };
    const rdp = dpSgdRdp(run);
    const classic = Math.min(...TF_DP_SGD_ORDERS.map((a, k) => rdp[k] - Math.log(1e-5) / (a - 1)));
    expect(classic.toFixed(2)).toBe('3.01');
    const tight = dpSgdEpsilon(run, 1e-5).epsilon;
    expect(tight).toBeLessThan(classic);
    expect(tight).toBeGreaterThan(2.5);
  });

  it('spends nothing in 0 steps and more with every step', () => {
    expect(dpSgdEpsilon({ samplingRate: 0.01, noiseMultiplier: 1, steps: 0 }, 1e-5).epsilon).toBe(0);
    let last = 0;
    for (const steps of [1, 10, 100, 1000]) {
      const { epsilon } = dpSgdEpsilon({ samplingRate: 0.01, noiseMultiplier: 1, steps }, 1e-5);
      expect(epsilon).toBeGreaterThan(last);
      last = epsilon;
    }
  });

  it('inverts: δ at the ε it reports is the δ asked for', () => {
    const run = { samplingRate: 0.01, noiseMultiplier: 1.1, steps: 1000 };
    const { epsilon } = dpSgdEpsilon(run, 1e-5);
    expect(dpSgdDelta(run, epsilon).delta).toBeCloseTo(1e-5, 10);
  });
});

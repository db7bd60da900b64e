import { medianMs, round3 as round } from './measure.js';
import type { BenchSuite } from './suite.js';

/**
 * What per-example clipping costs: one DP-SGD step (Poisson sample q = 1, per-record clipped gradient sum) against
 * one plain SGD step on the same records, for the MLP template; and the accountant's calibration time.
 */
async function benchPrivacy(): Promise<Record<string, unknown>> {
  const { initTensorflow, trainLocal, dpGradientStep } = await import('@cohort/training');
  const { initialWeights } = await import('@cohort/model');
  const { calibrateNoiseMultiplier } = await import('@cohort/privacy');
  const { backend } = await initTensorflow();
  const rows: { model: string; records: number; plainStepMs: number; dpStepMs: number; ratio: number }[] = [];
  for (const hidden of [16, 64]) {
    for (const n of [256, 1024]) {
      const d = 13;
      const spec = { template: 'mlp', hiddenUnits: [hidden] };
      const x = Float32Array.from({ length: n * d }, (_, i) => Math.sin(i * 12.9898) * 2);
      const y = Float32Array.from({ length: n }, (_, i) => (Math.sin(i * 78.233) > 0 ? 1 : 0));
      const data = { x, y, n, d };
      const w = initialWeights(spec, d, 1);
      const plain = await medianMs(21, () =>
        trainLocal(spec, d, w, data, { epochs: 1, batchSize: n, learningRate: 0.1, seed: 1 }),
      );
      const dp = await medianMs(21, () =>
        dpGradientStep(spec, d, w, data, { samplingRate: 1, clipNorm: 1, seed: 1 }),
      );
      rows.push({
        model: `mlp[${hidden}]`,
        records: n,
        plainStepMs: round(plain),
        dpStepMs: round(dp),
        ratio: round(dp / plain),
      });
    }
  }
  const calibrateMs = await medianMs(5, () =>
    Promise.resolve(
      calibrateNoiseMultiplier({ targetEpsilon: 3, delta: 1e-3, samplingRate: 0.2, steps: 30 }),
    ),
  );
  return {
    suite: 'privacy',
    backend,
    perExampleClipping: rows,
    worstRatio: Math.max(...rows.map((r) => r.ratio)),
    target: { ratio: 3 },
    calibrateMs: round(calibrateMs),
  };
}

export const suite: BenchSuite = {
  description: 'per-example clipping (DP-SGD) against a plain step, and noise calibration',
  run: () => benchPrivacy(),
};

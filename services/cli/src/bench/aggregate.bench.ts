import { parsePositiveInt } from '../output.js';
import { round3 as round } from './measure.js';
import type { BenchSuite } from './suite.js';

/** Folding updates into the streaming weighted mean, and one server-optimiser step, at a given model size. */
async function benchAggregate(parameters: number, updates: number): Promise<Record<string, unknown>> {
  const { applyServerOptimizer, createMeanAccumulator } = await import('@cohort/aggregation');
  const update = new Float32Array(parameters).map((_, i) => Math.sin(i));
  const accumulator = createMeanAccumulator(parameters);
  const t0 = performance.now();
  for (let i = 0; i < updates; i++) accumulator.add(update, 100 + i);
  const mean = accumulator.result();
  const foldMs = performance.now() - t0;
  const t1 = performance.now();
  applyServerOptimizer('fedadam', {}, new Float32Array(parameters), mean, undefined);
  const fedAdamMs = performance.now() - t1;
  return {
    suite: 'aggregate',
    parameters,
    updates,
    foldMsPerUpdate: round(foldMs / updates),
    foldGBPerSecond: round((updates * parameters * 4) / (foldMs / 1000) / 1e9),
    fedAdamStepMs: round(fedAdamMs),
    peakRssMB: Math.round(process.memoryUsage().rss / 2 ** 20),
  };
}

export const suite: BenchSuite = {
  description: 'folding updates into the streaming weighted mean, and one FedAdam step',
  options: [
    {
      flags: '--parameters <n>',
      description: 'model size in parameters',
      parse: parsePositiveInt('--parameters'),
      default: 1_000_000,
    },
    {
      flags: '--updates <n>',
      description: 'updates folded',
      parse: parsePositiveInt('--updates'),
      default: 20,
    },
  ],
  run: (o) => benchAggregate(o.parameters as number, o.updates as number),
};

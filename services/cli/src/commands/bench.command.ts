import type { Command } from 'commander';
import { badArguments, parsePositiveInt, report } from '../output.js';

const SUITES = ['aggregate', 'round'] as const;
type Suite = (typeof SUITES)[number];

/** `cohort bench <suite>`: figures, not pass/fail tests; with --json the last line is one JSON object. */
export function registerBenchCommand(program: Command): void {
  program
    .command('bench')
    .description(`print benchmark figures: ${SUITES.join(', ')}`)
    .argument('<suite>', `one of ${SUITES.join(', ')}`)
    .option(
      '--parameters <n>',
      'aggregate: model size in parameters',
      parsePositiveInt('--parameters'),
      1_000_000,
    )
    .option('--updates <n>', 'aggregate: updates folded per round', parsePositiveInt('--updates'), 20)
    .option(
      '--rounds <n>',
      'round: federated rounds of the four-hospital federation',
      parsePositiveInt('--rounds'),
      10,
    )
    .option('--json', 'print one JSON object as the last line of standard output')
    .action(
      async (suite: string, o: { parameters: number; updates: number; rounds: number; json?: boolean }) => {
        if (!SUITES.includes(suite as Suite))
          throw badArguments(`unknown suite "${suite}"; choose one of ${SUITES.join(', ')}`);
        const result =
          suite === 'aggregate' ? await benchAggregate(o.parameters, o.updates) : await benchRound(o.rounds);
        report(Boolean(o.json), result, () =>
          Object.entries(result)
            .map(([k, v]) => `${k}: ${JSON.stringify(v)}`)
            .join('\n'),
        );
      },
    );
}

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

/** The four-hospital federation on loopback: what a round costs beyond local training. */
async function benchRound(rounds: number): Promise<Record<string, unknown>> {
  const { runDemo } = await import('../demo/run-demo.js');
  const r = await runDemo({ rounds, model: 'logreg', quiet: true, home: '.cohort/bench-round' });
  return {
    suite: 'round',
    silos: 4,
    rounds: r.rounds,
    overheadMsPerRound: r.overheadMsPerRound,
    meanRoundMs: r.meanRoundMs,
    meanSlowestTrainMs: r.meanSlowestTrainMs,
    accuracy: r.metrics.accuracy,
    pooledAccuracy: r.pooledBaseline.metrics.accuracy,
  };
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

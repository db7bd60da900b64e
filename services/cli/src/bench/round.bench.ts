import { parsePositiveInt } from '../output.js';
import type { BenchSuite } from './suite.js';

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

export const suite: BenchSuite = {
  description: 'the four-hospital federation on loopback: round overhead beyond local training',
  options: [
    {
      flags: '--rounds <n>',
      description: 'federated rounds of the four-hospital federation',
      parse: parsePositiveInt('--rounds'),
      default: 10,
    },
  ],
  run: (o) => benchRound(o.rounds as number),
};

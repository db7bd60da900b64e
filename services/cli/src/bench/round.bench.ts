import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { badArguments, parsePositiveInt } from '../output.js';
import type { SimulationOptions, SimulationResult } from '../simulate/run-simulation.js';
import type { BenchSuite } from './suite.js';

function parseList(name: string) {
  return (value: string): number[] => {
    const xs = value.split(',').map((v) => Number(v.trim()));
    if (xs.length === 0 || xs.some((x) => !Number.isInteger(x) || x < 1)) {
      throw badArguments(`${name} takes positive integers separated by commas, got "${value}"`);
    }
    return xs;
  };
}

const SCENARIOS = ['hospitals', 'dp', 'scale', 'grid'] as const;

interface RoundBenchOptions {
  rounds: number;
  dpRounds: number;
  scaleRounds: number;
  silosGrid: number[];
  parametersGrid: number[];
  databaseUrl?: string;
  scenarios: string[];
}

/**
 * An empty PostgreSQL database per simulation (every run enrols new silos under a new federation key), dropped
 * afterwards; without a server URL the aggregator embeds PGlite, which alone holds about 0.8 GB resident.
 */
async function withDatabase<T>(serverUrl: string | undefined, run: (url?: string) => Promise<T>): Promise<T> {
  if (serverUrl === undefined) return run(undefined);
  const { default: pg } = await import('pg');
  const name = `cohort_bench_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    return await run(url.toString());
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
  }
}

function summary(r: SimulationResult): Record<string, unknown> {
  return {
    silos: r.silos,
    parameters: r.parameters,
    rule: r.rule,
    rounds: r.rounds,
    status: r.status,
    accuracy: r.metrics?.accuracy ?? null,
    meanRoundMs: r.timing.meanRoundMs,
    meanTrainMs: r.timing.meanTrainMs,
    // Included in the overhead (everything but training): the silos' held-out evaluation, summed.
    meanEvaluateMs: r.timing.meanEvaluateMs,
    overheadMs: r.timing.meanOverheadMs,
    // The first round pays for warm-up (JIT, model build, first fetch): steady state is what a long job sees.
    steadyOverheadMs:
      r.timing.perRound.length > 1
        ? Math.round(
            (r.timing.perRound.slice(1).reduce((s, x) => s + x.overheadMs, 0) /
              (r.timing.perRound.length - 1)) *
              10,
          ) / 10
        : r.timing.meanOverheadMs,
    peakRssMB: r.peakRssMB,
    auditOk: r.audit.ok,
    database: r.database,
  };
}

async function benchRound(o: RoundBenchOptions): Promise<Record<string, unknown>> {
  const unknown = o.scenarios.filter((s) => !(SCENARIOS as readonly string[]).includes(s));
  if (unknown.length > 0)
    throw badArguments(`unknown scenario(s) ${unknown.join(', ')}; choose from ${SCENARIOS.join(', ')}`);
  const { runSimulation } = await import('../simulate/run-simulation.js');
  const { writeOverheadPlot } = await import('./overhead-plot.js');
  const home = resolve('.cohort/bench-round');
  // The bench's own folder, fixed: cleared here so each simulation below starts in a new one.
  await rm(home, { recursive: true, force: true });
  const simulate = (name: string, options: Partial<SimulationOptions>): Promise<SimulationResult> =>
    withDatabase(o.databaseUrl, (databaseUrl) =>
      runSimulation({
        split: 'natural',
        silos: 4,
        alpha: 0.5,
        parameters: 100_000,
        rowsPerSilo: 32,
        seed: 1,
        quiet: true,
        home: join(home, name),
        databaseUrl,
        ...options,
      }),
    );
  const out: Record<string, unknown> = { suite: 'round' };
  if (o.scenarios.includes('hospitals')) {
    const r = await simulate('hospitals', { rounds: o.rounds });
    out.hospitals = { ...summary(r), protocolRoundsPerSecond: r.timing.protocolRoundsPerSecond };
  }
  if (o.scenarios.includes('dp')) {
    const { readFile } = await import('node:fs/promises');
    const { EXAMPLES_DIR } = await import('../demo/run-demo.js');
    const job = JSON.parse(await readFile(join(EXAMPLES_DIR, 'job.json'), 'utf8')) as Record<string, unknown>;
    const r = await simulate('dp', {
      rounds: o.dpRounds,
      job: {
        ...job,
        rounds: o.dpRounds,
        // The demo's DP-SGD job: one step per round on a Poisson sample, at the largest ε the example silos allow per job.
        privacy: { enabled: true, targetEpsilon: 8, delta: 1e-3, clipNorm: 1, samplingRate: 0.2 },
        local: { epochs: 1, batchSize: 32, learningRate: 2 },
      },
    });
    const seconds = r.timing.perRound.reduce((sum, x) => sum + x.ms, 0) / 1000;
    out.dpSgd = {
      ...summary(r),
      epsilonSpent: r.privacy?.epsilon ?? null,
      // The job's rounds end to end (what a researcher waits for once the silos have accepted it).
      roundsSeconds: Math.round(seconds * 10) / 10,
      // 1,000 rounds of meanRoundMs milliseconds each: meanRoundMs seconds (measured, with the default 1,000).
      projected1000RoundsSeconds: Math.round(r.timing.meanRoundMs * 10) / 10,
    };
  }
  const grid: { silos: number; parameters: number; overheadMs: number }[] = [];
  if (o.scenarios.includes('scale')) {
    const n = Math.max(...o.silosGrid);
    const p = Math.max(...o.parametersGrid);
    const fedavg = await simulate('scale-fedavg', {
      split: 'synthetic',
      silos: n,
      parameters: p,
      rounds: o.scaleRounds,
    });
    const median = await simulate('scale-median', {
      split: 'synthetic',
      silos: n,
      parameters: p,
      rounds: o.scaleRounds,
      rule: 'median',
    });
    out.scale = { fedavg: summary(fedavg), median: summary(median) };
    grid.push({
      silos: n,
      parameters: fedavg.parameters,
      overheadMs: Number(summary(fedavg).steadyOverheadMs),
    });
  }
  if (o.scenarios.includes('grid')) {
    for (const n of o.silosGrid) {
      for (const p of o.parametersGrid) {
        if (grid.some((g) => g.silos === n && Math.abs(g.parameters - p) / p < 0.01)) continue;
        const r = await simulate(`grid-${n}x${p}`, {
          split: 'synthetic',
          silos: n,
          parameters: p,
          rounds: o.scaleRounds,
        });
        grid.push({ silos: n, parameters: r.parameters, overheadMs: Number(summary(r).steadyOverheadMs) });
      }
    }
  }
  if (grid.length > 0) {
    grid.sort((a, b) => a.parameters - b.parameters || a.silos - b.silos);
    const plot = join(home, 'overhead.png');
    await writeOverheadPlot(plot, grid);
    out.overheadGrowth = { table: grid, plot };
  }
  out.targets = {
    hospitalsOverheadMs: 20,
    protocolRoundsPerSecond: 50,
    dpSgd1000RoundsSeconds: 60,
    scaleFedavgOverheadMs: 2000,
    scaleFedavgAggregatorRssMB: 1024,
    scaleMedianOverheadMs: 5000,
    scaleMedianAggregatorRssMB: 1536,
  };
  return out;
}

export const suite: BenchSuite = {
  description:
    'protocol time per round (everything but local training) on simulated federations: the four hospitals, a DP-SGD job, 100 silos x 1M parameters (FedAvg, median), and its growth with N and P (table and PNG)',
  options: [
    {
      flags: '--rounds <n>',
      description: 'rounds of the four-hospital job',
      parse: parsePositiveInt('--rounds'),
      default: 30,
    },
    {
      flags: '--dp-rounds <n>',
      description: 'rounds of the DP-SGD job',
      parse: parsePositiveInt('--dp-rounds'),
      default: 1000,
    },
    {
      flags: '--scale-rounds <n>',
      description: 'rounds of each synthetic run',
      parse: parsePositiveInt('--scale-rounds'),
      default: 3,
    },
    {
      flags: '--silos-grid <list>',
      description: 'silo counts of the growth table',
      parse: parseList('--silos-grid'),
      default: [10, 30, 100],
    },
    {
      flags: '--parameters-grid <list>',
      description: 'model sizes of the growth table',
      parse: parseList('--parameters-grid'),
      default: [10_000, 100_000, 1_000_000],
    },
    {
      flags: '--scenarios <list>',
      description: `which runs: ${SCENARIOS.join(',')}`,
      parse: (v: string) => v.split(',').map((s) => s.trim()),
      default: [...SCENARIOS],
    },
    {
      flags: '--database-url <url>',
      description:
        'a PostgreSQL server the bench may create and drop databases on, for the aggregator (default PGlite)',
    },
  ],
  run: (o) => benchRound(o as unknown as RoundBenchOptions),
};

import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import type { SimulationResult } from '../simulate/run-simulation.js';
import { SPLITS, type Split } from '../simulate/virtual-silos.js';
import { badArguments, parsePositiveInt, parsePositiveNumber, report } from '../output.js';

interface SimulateFlags {
  split: string;
  silos?: number;
  alpha: number;
  source?: string[];
  job?: string;
  rounds?: number;
  parameters: number;
  rowsPerSilo: number;
  rule?: string;
  seed: number;
  home?: string;
  databaseUrl?: string;
  json?: boolean;
}

/** `cohort simulate`: a federation of virtual silos on this machine, through the production code paths. */
export function registerSimulateCommand(program: Command): void {
  program
    .command('simulate')
    .description(
      'run a job on N virtual silos (real silo agents in one process) against a real aggregator, enclave and gateway on loopback',
    )
    .option('--split <kind>', `how the silos get their data: ${SPLITS.join(', ')}`, 'natural')
    .option(
      '--silos <n>',
      'virtual silos (iid, dirichlet, synthetic; default 10)',
      parsePositiveInt('--silos'),
    )
    .option(
      '--alpha <a>',
      'dirichlet: concentration (small = skewed labels)',
      parsePositiveNumber('--alpha'),
      0.5,
    )
    .option(
      '--source <config...>',
      'silo configurations whose CSV datasets are split (default: the four heart-disease hospitals)',
    )
    .option(
      '--job <file>',
      'the job spec (JSON or YAML); default: the heart-disease example or a synthetic MLP',
    )
    .option('--rounds <n>', "overrides the job's rounds", parsePositiveInt('--rounds'))
    .option(
      '--parameters <n>',
      'synthetic: model size in parameters',
      parsePositiveInt('--parameters'),
      100_000,
    )
    .option('--rows-per-silo <n>', 'synthetic: records per silo', parsePositiveInt('--rows-per-silo'), 64)
    .option('--rule <name>', "overrides the job's aggregation rule")
    .option('--seed <n>', 'seed of the split and the synthetic data', parsePositiveInt('--seed'), 1)
    .option('--home <dir>', 'state and logs (replaced on every run)', '.cohort/simulate')
    .option(
      '--database-url <url>',
      "the aggregator's PostgreSQL database, empty (default: embedded PGlite in the run's folder)",
    )
    .option('--json', 'print one JSON object as the last line of standard output')
    .action(async (o: SimulateFlags) => {
      if (!SPLITS.includes(o.split as Split)) {
        throw badArguments(`--split must be one of ${SPLITS.join(', ')}, got "${o.split}"`);
      }
      if (o.split === 'natural' && o.silos !== undefined) {
        throw badArguments('--silos does not apply to the natural split: it has one silo per source');
      }
      const job = o.job === undefined ? undefined : await readJob(o.job);
      const { runSimulation, formatSimulation } = await import('../simulate/run-simulation.js');
      const result: SimulationResult = await runSimulation({
        split: o.split as Split,
        silos: o.silos ?? 10,
        alpha: o.alpha,
        sources: o.source,
        job,
        rounds: o.rounds,
        parameters: o.parameters,
        rowsPerSilo: o.rowsPerSilo,
        rule: o.rule,
        seed: o.seed,
        home: o.home,
        databaseUrl: o.databaseUrl,
        quiet: Boolean(o.json),
      });
      report(Boolean(o.json), result, () => formatSimulation(result));
    });
}

async function readJob(file: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw badArguments(`cannot read the job spec ${file}: ${(err as Error).message}`);
  }
  try {
    const parsed: unknown = /\.ya?ml$/i.test(file) ? parseYaml(text) : JSON.parse(text);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
      throw new Error('not an object');
    return parsed as Record<string, unknown>;
  } catch (err) {
    throw badArguments(`the job spec ${file} is not a JSON or YAML object: ${(err as Error).message}`);
  }
}

// `cohort simulate`: N virtual silos in this process, each a real silo agent (its own key, enrolment, mTLS
// channel, policy, audit log), against a real aggregator, enclave and gateway on loopback. Four processes in all,
// whatever N: on two cores, more processes would only add context switches. The silos' local training and
// evaluation run on one thread of this process, one silo at a time, beside their protocol work.
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { DEFAULT_DEV_ISSUER_URL, DevIssuer } from '@cohort/auth';
import { modelLayout, parameterCount } from '@cohort/model';
import { startTrainingThread, stopTrainingThread, trainingThreadBusyMs } from '@cohort/training';
import type { Job } from '@cohort/protocol';
import { SiloConfig } from '../../../silo-agent/src/config.js';
import { startSilo, type RunningSilo } from '../../../silo-agent/src/bootstrap.js';
import { initFederation } from '../federation-init.js';
import { GatewayClient } from '../gateway-client.js';
import { CliError } from '../output.js';
import type { ServiceProcess } from '../demo/processes.js';
import { startCentralServices } from '../demo/central-services.js';
import { DEMO_SILOS, EXAMPLES_DIR } from '../demo/run-demo.js';
import { planSilos, type Split } from './virtual-silos.js';
import { peakRssMB } from './process-memory.js';

export interface SimulationOptions {
  split: Split;
  /** Virtual silos (iid, dirichlet, synthetic); the natural split has one per source configuration. */
  silos: number;
  /** Dirichlet concentration: small is skewed. */
  alpha: number;
  /** Silo configurations whose datasets are split (natural, iid, dirichlet); default the four hospitals. */
  sources?: string[];
  /** The job spec (JSON); default the heart-disease example, or an MLP on the synthetic data. */
  job?: Record<string, unknown>;
  rounds?: number;
  /** Synthetic: about this many model parameters, and this many records per silo. */
  parameters: number;
  rowsPerSilo: number;
  /** Overrides the job's aggregation rule. */
  rule?: string;
  seed: number;
  home?: string;
  /** The aggregator's PostgreSQL database (an empty one); default embedded PGlite in the run's folder. */
  databaseUrl?: string;
  quiet: boolean;
  /** How many virtual silos start at once (each creates a key, enrols and opens its channel). */
  startConcurrency?: number;
}

export interface SimulationResult {
  jobId: string;
  status: string;
  split: Split;
  silos: number;
  rounds: number;
  parameters: number;
  rule: string;
  /** The last round's held-out metrics, combined over the silos (null under DP: no per-silo metric leaves). */
  metrics: Job['rounds'][number]['metrics'] | null;
  privacy: Job['privacy'] | null;
  audit: { ok: boolean; entries: number; checkpoints: number; firstBrokenSeq: number | null };
  timing: {
    /** Start of a round to the start of the next (the last: to its close). */
    meanRoundMs: number;
    /** Local training in the round, summed over the silos (they share this process's cores). */
    meanTrainMs: number;
    /**
     * Held-out evaluation in the round, summed over the silos (on this process's training thread). Part of the
     * overhead below, reported so a reader can tell local computation from the protocol's own cost.
     */
    meanEvaluateMs: number;
    /** Everything but local training: the protocol's cost per round. */
    meanOverheadMs: number;
    protocolRoundsPerSecond: number;
    perRound: { round: number; ms: number; trainMs: number; overheadMs: number }[];
  };
  peakRssMB: { aggregator: number | null; enclave: number | null; silos: number };
  database: string;
  home: string;
  logs: string;
}

function say(quiet: boolean, text: string): void {
  if (!quiet) process.stderr.write(`${text}\n`);
}

/** Generous: a simulation shares the machine with its own hundred silo agents starting up. */
const START_TIMEOUT_MS = 180_000;

const SOURCES = DEMO_SILOS.map((s) => join(EXAMPLES_DIR, `silo-${s}.json`));

/** Runs `work` over `items`, at most `limit` at a time, keeping the order of results. */
async function pooled<T, R>(
  items: T[],
  limit: number,
  work: (item: T, i: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await work(items[i], i);
      }
    }),
  );
  return results;
}

async function defaultJob(o: SimulationOptions, plan: Awaited<ReturnType<typeof planSilos>>) {
  if (o.job) return structuredClone(o.job);
  if (o.split !== 'synthetic') {
    return JSON.parse(await readFile(join(EXAMPLES_DIR, 'job.json'), 'utf8')) as Record<string, unknown>;
  }
  return {
    name: `synthetic-${plan.silos.length}x${plan.parameters}`,
    model: { template: 'mlp', hiddenUnits: [plan.hiddenUnits] },
    dataset: { id: plan.datasetId, features: plan.features },
    rounds: 3,
    minSilos: plan.silos.length,
    roundTimeoutMs: 600_000,
    offerTimeoutMs: 300_000,
    // One full-batch step per round: the scale runs measure the protocol, not the optimiser.
    local: { epochs: 1, batchSize: o.rowsPerSilo, learningRate: 0.1 },
    aggregation: { rule: 'fedavg' },
    seed: o.seed,
  } satisfies Record<string, unknown>;
}

/** Marks a folder as a simulation's own, so the next run may replace it; any other folder is left alone. */
const HOME_MARKER = '.cohort-simulation';

async function clearHome(home: string, ours: boolean): Promise<void> {
  const entries = await readdir(home).catch(() => [] as string[]);
  if (!ours && entries.length > 0 && !entries.includes(HOME_MARKER)) {
    throw new CliError(
      `${home} is not empty and was not made by cohort simulate; give --home an empty or new folder`,
      'SIMULATE_HOME_NOT_EMPTY',
    );
  }
  await rm(home, { recursive: true, force: true });
}

export async function runSimulation(o: SimulationOptions): Promise<SimulationResult> {
  const home = resolve(o.home ?? '.cohort/simulate');
  // The default folder is the command's own; a folder the person named is replaced only if a run made it.
  await clearHome(home, o.home === undefined);
  const logs = join(home, 'logs');
  await mkdir(logs, { recursive: true });
  await writeFile(join(home, HOME_MARKER), 'state of a cohort simulate run; replaced by the next run\n');
  const services: ServiceProcess[] = [];
  const silos: RunningSilo[] = [];
  try {
    say(o.quiet, `Preparing ${o.split} data for the virtual silos in ${home}/data…`);
    const plan = await planSilos(join(home, 'data'), {
      split: o.split,
      silos: o.silos,
      alpha: o.alpha,
      seed: o.seed,
      sources: o.sources ?? SOURCES,
      parameters: o.parameters,
      rowsPerSilo: o.rowsPerSilo,
    });
    const federation = await initFederation(join(home, 'federation'));
    const { aggregator, aggregatorUrl, gatewayUrl } = await startCentralServices(
      { home, federationDir: federation.dir, logs, databaseUrl: o.databaseUrl, timeoutMs: START_TIMEOUT_MS },
      services,
    );
    const issuer = await DevIssuer.create({
      issuer: DEFAULT_DEV_ISSUER_URL,
      keyDir: federation.devIssuerDir,
    });
    const gateway = new GatewayClient(
      gatewayUrl,
      await issuer.mint({
        subject: 'simulation',
        name: 'Simulation',
        roles: ['researcher', 'site-admin', 'compliance'],
        audience: 'cohort-gateway',
      }),
    );
    say(
      o.quiet,
      `Starting ${plan.silos.length} virtual silos in this process (aggregator ${aggregatorUrl})…`,
    );
    // The silos train one at a time on a thread of their own, while this one carries their protocol work: on a
    // hospital's machine too, sealing and sending one update does not wait for another hospital's training.
    await startTrainingThread();
    const started = await pooled(plan.silos, o.startConcurrency ?? 8, async (silo) => {
      const { joinToken } = await gateway.inviteSilo(silo.siloId);
      const config = SiloConfig.fromObject(
        {
          ...silo.config,
          tls: { caFile: federation.caFile },
          trustFile: federation.trustFile,
          attestation: { kind: 'insecure-dev', authorityDir: federation.authorityDir },
          stateDir: join(home, 'silos', silo.siloId),
          // A hundred agents' info lines would drown the run's own report; warnings and errors still show.
          logLevel: 'warn',
        },
        home,
        { aggregatorUrl, joinToken },
      );
      const running = await startSilo(config);
      silos.push(running);
      await running.connected;
      return running;
    });
    await waitForConnected(gateway, started.length);

    const spec = await defaultJob(o, plan);
    if (o.rounds !== undefined) spec.rounds = o.rounds;
    if (o.rule !== undefined)
      spec.aggregation = { ...(spec.aggregation as object | undefined), rule: o.rule };
    const submitted = await gateway.submitJob(spec);
    say(o.quiet, `Job ${submitted.jobId}: ${String(spec.rounds)} rounds on ${started.length} silos…`);
    const busyBefore = trainingThreadBusyMs();
    const job = await followJob(gateway, submitted, o.quiet);
    const evaluateMs = trainingThreadBusyMs().evaluate - busyBefore.evaluate;
    // Read before the services stop: the high-water marks of the aggregator host and its enclave process.
    const rss = peakRssMB(aggregator.child.pid);
    const audit = await gateway.verifyAudit();
    const perRound = job.rounds.map((r, i) => {
      const ms = Number(job.rounds[i + 1]?.startedAtUnixMs ?? r.closedAtUnixMs) - Number(r.startedAtUnixMs);
      const trainMs = r.silos.reduce((sum, s) => sum + s.trainMs, 0);
      return { round: r.round, ms, trainMs, overheadMs: ms - trainMs };
    });
    const mean = (xs: number[]): number => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
    const r1 = (x: number): number => Math.round(x * 10) / 10;
    const meanOverheadMs = mean(perRound.map((r) => r.overheadMs));
    return {
      jobId: job.jobId,
      status: job.status,
      split: o.split,
      silos: started.length,
      rounds: job.rounds.length,
      parameters: job.spec
        ? parameterCount(
            modelLayout(
              job.spec.model ?? { template: 'logreg', hiddenUnits: [] },
              job.spec.dataset?.features.length ?? 0,
            ),
          )
        : 0,
      rule: String((spec.aggregation as { rule?: string } | undefined)?.rule ?? 'fedavg'),
      metrics: job.rounds[job.rounds.length - 1]?.metrics ?? null,
      privacy: job.privacy ?? null,
      audit: {
        ok: audit.ok,
        entries: audit.entries,
        checkpoints: audit.checkpoints,
        firstBrokenSeq: audit.firstBrokenSeq ?? null,
      },
      timing: {
        meanRoundMs: r1(mean(perRound.map((r) => r.ms))),
        meanTrainMs: r1(mean(perRound.map((r) => r.trainMs))),
        meanEvaluateMs: r1(perRound.length > 0 ? evaluateMs / perRound.length : 0),
        meanOverheadMs: r1(meanOverheadMs),
        protocolRoundsPerSecond: r1(meanOverheadMs > 0 ? 1000 / meanOverheadMs : 0),
        perRound,
      },
      peakRssMB: { ...rss, silos: Math.round(process.resourceUsage().maxRSS / 1024) },
      database: aggregator.ready.database === 'postgres' ? 'postgres' : 'pglite',
      home,
      logs,
    };
  } finally {
    await Promise.all(silos.map((s) => s.close().catch(() => undefined)));
    await stopTrainingThread();
    await Promise.all(services.reverse().map((s) => s.stop()));
  }
}

async function waitForConnected(gateway: GatewayClient, count: number, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const connected = (await gateway.listSilos()).silos.filter((s) => s.connected).length;
    if (connected >= count) return;
    if (Date.now() > deadline) {
      throw new CliError(`only ${connected} of ${count} virtual silos connected`, 'SIMULATE_SILOS_MISSING');
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Until the job ends: one line per completed round on stderr (a hundred silos make a bar per round useless). */
async function followJob(gateway: GatewayClient, submitted: Job, quiet: boolean): Promise<Job> {
  let job = submitted;
  let shown = 0;
  while (!['completed', 'failed', 'cancelled'].includes(job.status)) {
    // Each poll is a full job view for the aggregator to build (every round so far): quiet runs, which print no
    // line per round, look once a second so the harness weighs less on the federation it measures.
    await new Promise((r) => setTimeout(r, quiet ? 1000 : 250));
    job = await gateway.getJob(job.jobId);
    for (const r of job.rounds.filter((x) => x.status === 'completed' && x.round > shown)) {
      shown = r.round;
      const m = r.metrics;
      say(
        quiet,
        ` round ${r.round}: ${r.silos.filter((s) => s.updateStatus === 'accepted').length}/${r.silos.length} updates${m ? `, accuracy ${m.accuracy.toFixed(3)}` : ''}`,
      );
    }
  }
  if (job.status !== 'completed') {
    throw new CliError(`the simulated job ended ${job.status}: ${job.failureReason}`, 'SIMULATE_JOB_FAILED');
  }
  return job;
}

export function formatSimulation(r: SimulationResult): string {
  const t = r.timing;
  const m = r.metrics;
  return [
    '',
    `Simulated job ${r.jobId}: ${r.status}, ${r.rounds} rounds of ${r.rule} on ${r.silos} ${r.split} silos (${r.parameters.toLocaleString('en')} parameters)`,
    m
      ? `  held-out: accuracy ${m.accuracy.toFixed(3)}, AUC ${m.auc?.toFixed(3) ?? 'n/a'}, loss ${m.loss.toFixed(4)}`
      : '  no held-out metrics (differential privacy)',
    r.privacy ? `  privacy: ε ${r.privacy.epsilon} at δ ${r.privacy.delta}` : '  privacy: none',
    `  audit trail: ${r.audit.ok ? 'verified' : `BROKEN at entry ${r.audit.firstBrokenSeq}`} (${r.audit.entries} entries, ${r.audit.checkpoints} checkpoints)`,
    `  per round: ${t.meanRoundMs} ms, of which local training ${t.meanTrainMs} ms and protocol ${t.meanOverheadMs} ms (${t.protocolRoundsPerSecond} protocol rounds per second; held-out evaluation ${t.meanEvaluateMs} ms of it)`,
    `  peak RSS: aggregator ${r.peakRssMB.aggregator ?? 'n/a'} MB, enclave ${r.peakRssMB.enclave ?? 'n/a'} MB, silos ${r.peakRssMB.silos} MB`,
    `  logs: ${r.logs}`,
  ].join('\n');
}

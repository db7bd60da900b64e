import { mkdir, readFile, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { unpackFloat32, type Job } from '@cohort/protocol';
import { initTensorflow } from '@cohort/training';
import { SiloConfig } from '../../../silo-agent/src/config.js';
import { CliError } from '../output.js';
import { GatewayClient } from '../gateway-client.js';
import { startService, type ServiceProcess } from './processes.js';
import { startCentralServices } from './central-services.js';
import { initFederation } from '../federation-init.js';
import { writeDemoSiloConfig } from './silo-configs.js';
import { RoundProgress } from './progress.js';
import { writeSweepPlot } from './sweep-plot.js';
import { evaluateOn, loadSiloData, pooledBaseline, summarise, type MetricSummary } from './evaluation.js';
import { DEFAULT_DEV_ISSUER_URL, DevIssuer } from '@cohort/auth';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = here.includes(join('dist', 'services'))
  ? join(here, '../../../../..')
  : join(here, '../../../..');
export const EXAMPLES_DIR = join(repoRoot, 'examples/heart-disease');
/** The same four hospitals' records as FHIR R4 bulk exports, and the job with its FHIR feature mapping. */
export const FHIR_EXAMPLES_DIR = join(repoRoot, 'examples/heart-disease-fhir');
export const DEMO_SILOS = ['cleveland', 'hungarian', 'switzerland', 'va'] as const;
/** The subject the demo submits its jobs as: the dashboard's researcher token names it too, so they are theirs. */
const DEMO_RESEARCHER = 'demo-researcher';

export interface DemoOptions {
  rounds: number;
  model: 'logreg' | 'mlp';
  /** Progress bars and the summary table are for people; --json keeps standard output to the final object. */
  quiet: boolean;
  home?: string;
  /** Patient-level central DP at this target ε (δ = 1e-3, below 1/n for the union of the four hospitals). */
  epsilon?: number;
  /** Also train at ε = 0.5, 1, 3 and 8 and compare with the non-private model. */
  privacySweep?: boolean;
  /** Keep the federation and its dashboard running after the job until SIGINT or SIGTERM. */
  serve?: boolean;
  /** With serve: the result as soon as it is known, since runDemo itself returns only once serving stops. */
  onResult?: (result: DemoResult) => void;
  /** Where the hospitals' records come from: the CSV files (default) or their FHIR bulk exports. */
  source?: 'csv' | 'fhir';
}

export interface DemoResult {
  jobId: string;
  status: string;
  rounds: number;
  model: string;
  source: 'csv' | 'fhir';
  metrics: MetricSummary;
  perSilo: Record<
    string,
    MetricSummary | { accuracy: null; auc: null; loss: null; examples: 0; note: string }
  >;
  pooledBaseline: { metrics: MetricSummary; perSilo: Record<string, MetricSummary> };
  overheadMsPerRound: number;
  privacy: Job['privacy'] | null;
  /** With --privacy-sweep: the union test metrics at each target ε (null: the non-private model). */
  /** With --privacy-sweep: the PNG plot of the sweep. */
  privacySweepPlot: string | null;
  privacySweep: ({
    epsilon: number | null;
    epsilonSpent: number | null;
    noiseMultiplier: number | null;
  } & MetricSummary)[];
  meanRoundMs: number;
  meanSlowestTrainMs: number;
  database: string;
  logs: string;
}

function say(quiet: boolean, text: string): void {
  if (!quiet) process.stderr.write(`${text}\n`);
}

/** Who may sign in to the dashboard of a demo federation, with tokens from its development issuer. */
export interface DemoDashboard {
  url: string;
  researcherToken: string;
  complianceToken: string;
}

/**
 * Tokens for the two people the dashboard is for: the researcher who owns the demo's jobs (the demo's own
 * client signs in as the same subject) and a compliance officer, who reads the audit trail but no model.
 */
async function demoDashboard(issuer: DevIssuer, gatewayUrl: string): Promise<DemoDashboard> {
  const [researcherToken, complianceToken] = await Promise.all([
    issuer.mint({
      subject: DEMO_RESEARCHER,
      name: 'Demo researcher',
      roles: ['researcher'],
      audience: 'cohort-gateway',
    }),
    issuer.mint({
      subject: 'demo-compliance',
      name: 'Demo compliance officer',
      roles: ['compliance'],
      audience: 'cohort-gateway',
    }),
  ]);
  return { url: `${gatewayUrl}/ui/`, researcherToken, complianceToken };
}

export function formatDashboard(d: DemoDashboard): string {
  return [
    `Dashboard: ${d.url} (sign in by pasting one of these tokens; each is valid for 8 hours)`,
    `  researcher (${DEMO_RESEARCHER}, owns the demo's jobs and models):`,
    `    ${d.researcherToken}`,
    '  compliance (demo-compliance, audit trail and every job, no model download):',
    `    ${d.complianceToken}`,
  ].join('\n');
}

/**
 * Resolves with the reason once the user interrupts (SIGINT, SIGTERM) or a service ends on its own. The signal
 * handlers stay installed until release(): a Ctrl-C during shutdown must not kill the demo before it has
 * stopped its child processes.
 */
function untilStopped(services: ServiceProcess[]): { reason: Promise<string>; release: () => void } {
  let settle: (reason: string) => void = () => undefined;
  const reason = new Promise<string>((resolve) => (settle = resolve));
  const onSignal = (signal: NodeJS.Signals): void => settle(signal === 'SIGINT' ? 'interrupted' : signal);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const gone = services.find((s) => s.child.exitCode !== null);
  if (gone) settle(`${gone.name} exited (status ${gone.child.exitCode})`);
  const exits = services.map((s) => {
    const onExit = (code: number | null): void => settle(`${s.name} exited (status ${code})`);
    s.child.once('exit', onExit);
    return () => s.child.off('exit', onExit);
  });
  return {
    reason,
    release: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      for (const off of exits) off();
    },
  };
}

/** Resolves true when `promise` settles within `ms`, false otherwise. */
async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Ctrl-C at a terminal reaches the whole process group, so the services are already shutting down, and our own
 * SIGTERM would arrive mid-shutdown and end them uncleanly. When one of them exits within a second, the others get
 * their own 10 s to finish; a signal sent to the demo alone stops nothing by itself, and after that second the
 * demo stops the services as usual.
 */
async function letServicesStopThemselves(services: ServiceProcess[]): Promise<void> {
  const exits = services
    .filter((s) => s.child.exitCode === null)
    .map((s) => new Promise<void>((resolve) => s.child.once('exit', () => resolve())));
  if (exits.length > 0 && (await within(Promise.race(exits), 1000))) {
    await within(Promise.all(exits), 10_000);
  }
}

export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const home = resolve(options.home ?? '.cohort/demo');
  const examplesDir = options.source === 'fhir' ? FHIR_EXAMPLES_DIR : EXAMPLES_DIR;
  // Demo state is disposable: every run starts from an empty folder, so a second run needs no cleanup.
  await rm(home, { recursive: true, force: true });
  await mkdir(join(home, 'logs'), { recursive: true });
  const logs = join(home, 'logs');
  const services: ServiceProcess[] = [];
  let releaseSignals: (() => void) | undefined;
  try {
    const federation = await initFederation(join(home, 'federation'));
    say(
      options.quiet,
      `Federation created in ${federation.dir}: local CA, mTLS certificates, INSECURE-DEV attestation authority`,
    );
    const { aggregator, aggregatorUrl, gatewayUrl } = await startCentralServices(
      {
        home,
        federationDir: federation.dir,
        logs,
        announce: (url) =>
          say(
            options.quiet,
            `Starting the aggregator on ${url} (embedded PostgreSQL in ${home}/aggregator; enclave ${federation.enclaveMeasurement.slice(0, 16)}…)`,
          ),
      },
      services,
    );
    // Signed in through the federation's development issuer: one person who enrols the silos and runs the jobs.
    const issuer = await DevIssuer.create({
      issuer: DEFAULT_DEV_ISSUER_URL,
      keyDir: federation.devIssuerDir,
    });
    const gateway = new GatewayClient(
      gatewayUrl,
      await issuer.mint({
        subject: DEMO_RESEARCHER,
        name: 'Demo researcher',
        roles: ['researcher', 'site-admin'],
        audience: 'cohort-gateway',
      }),
    );
    say(
      options.quiet,
      `Inviting and starting four silo agents (${DEMO_SILOS.join(', ')}); each enrols with its join token…`,
    );
    const siloConfigs = await Promise.all(
      DEMO_SILOS.map((silo) => writeDemoSiloConfig(examplesDir, silo, federation, home)),
    );
    const invitations = await Promise.all(DEMO_SILOS.map((silo) => gateway.inviteSilo(silo)));
    services.push(
      ...(await Promise.all(
        DEMO_SILOS.map((silo, i) =>
          startService(
            `silo ${silo}`,
            [
              'silo',
              'start',
              '--config',
              siloConfigs[i],
              '--aggregator',
              aggregatorUrl,
              '--join-token',
              invitations[i].joinToken,
            ],
            { logFile: join(logs, `silo-${silo}.log`) },
          ),
        ),
      )),
    );
    await waitForSilos(gateway, DEMO_SILOS.length);
    // Printed before the job starts, so it can be watched live; with --serve even under --json, since serving
    // is pointless without the address.
    const dashboard = await demoDashboard(issuer, gatewayUrl);
    say(options.quiet && !options.serve, formatDashboard(dashboard));

    const spec = JSON.parse(await readFile(join(examplesDir, 'job.json'), 'utf8')) as Record<string, unknown>;
    spec.rounds = options.rounds;
    spec.model = options.model === 'mlp' ? { template: 'mlp', hiddenUnits: [16] } : { template: 'logreg' };
    const privateSpec = (epsilon: number): Record<string, unknown> => ({
      ...spec,
      // One DP-SGD step per round on a Poisson sample of the union: a larger step than local SGD's.
      privacy: { enabled: true, targetEpsilon: epsilon, delta: 1e-3, clipNorm: 1, samplingRate: 0.2 },
      local: { epochs: 1, batchSize: 32, learningRate: 2 },
    });
    const submitted = await gateway.submitJob(
      options.epsilon !== undefined ? privateSpec(options.epsilon) : spec,
    );
    say(
      options.quiet,
      `Job ${submitted.jobId} submitted: ${options.rounds} rounds of ${options.model} on ${DEMO_SILOS.length} hospitals`,
    );

    const job = await followJob(gateway, submitted, new RoundProgress(!options.quiet), logs);

    const { weights } = await gateway.downloadModel(job.jobId);
    await initTensorflow();
    const configs = await Promise.all(siloConfigs.map((path) => SiloConfig.load(path, { aggregatorUrl })));
    const data = await loadSiloData(configs, job.spec!);
    const federated = await evaluateOn(job.spec!, unpackFloat32(weights), data);
    const privacySweep: DemoResult['privacySweep'] = [];
    let sweepPlot: string | null = null;
    if (options.privacySweep) {
      for (const epsilon of PRIVACY_SWEEP) {
        say(options.quiet, `Privacy sweep: ε = ${epsilon} (δ = 1e-3, patient level, central noise)…`);
        const dpJob = await followJob(
          gateway,
          await gateway.submitJob(privateSpec(epsilon)),
          undefined,
          logs,
        );
        const dpWeights = unpackFloat32((await gateway.downloadModel(dpJob.jobId)).weights);
        const m = (await evaluateOn(dpJob.spec!, dpWeights, data)).union;
        privacySweep.push({
          epsilon,
          epsilonSpent: dpJob.privacy?.epsilon ?? null,
          noiseMultiplier: dpJob.privacy?.noiseMultiplier ?? null,
          ...m,
        });
      }
      privacySweep.push({ epsilon: null, epsilonSpent: null, noiseMultiplier: null, ...federated.union });
      sweepPlot = join(home, 'privacy-sweep.png');
      await writeSweepPlot(sweepPlot, privacySweep);
    }
    const pooled = await evaluateOn(job.spec!, await pooledBaseline(job.spec!, data), data);

    const last = job.rounds[job.rounds.length - 1];
    const perSilo: DemoResult['perSilo'] = {};
    for (const silo of DEMO_SILOS) {
      const m = last?.silos.find((s) => s.siloId === silo)?.metrics;
      perSilo[silo] = m
        ? summarise(m)
        : {
            accuracy: null,
            auc: null,
            loss: null,
            examples: 0,
            note: job.privacy
              ? 'under differential privacy no per-silo metric leaves a silo'
              : 'this silo reported no metrics in the last round',
          };
    }
    // A round's evaluation overlaps the next round's training, so a round lasts from its start to the next
    // round's start (the last one: to its close); the overhead is that period less the slowest silo's training.
    const periods = job.rounds.map(
      (r, i) => Number(job.rounds[i + 1]?.startedAtUnixMs ?? r.closedAtUnixMs) - Number(r.startedAtUnixMs),
    );
    const slowestTrain = job.rounds.map((r) => Math.max(0, ...r.silos.map((s) => s.trainMs)));
    const overheads = periods.map((ms, i) => ms - slowestTrain[i]);
    const mean = (xs: number[]): number => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
    const result: DemoResult = {
      jobId: job.jobId,
      status: job.status,
      rounds: job.rounds.length,
      model: options.model,
      source: options.source ?? 'csv',
      metrics: federated.union,
      perSilo,
      pooledBaseline: { metrics: pooled.union, perSilo: pooled.perSilo },
      overheadMsPerRound: Math.round(mean(overheads) * 10) / 10,
      privacy: job.privacy ?? null,
      privacySweep,
      privacySweepPlot: sweepPlot,
      meanRoundMs: Math.round(mean(periods) * 10) / 10,
      meanSlowestTrainMs: Math.round(mean(slowestTrain) * 10) / 10,
      database: aggregator.ready.database === 'postgres' ? 'postgres' : 'pglite',
      logs,
    };
    if (options.serve) {
      options.onResult?.(result);
      const stop = untilStopped(services);
      releaseSignals = stop.release;
      say(false, `\n${formatDashboard(dashboard)}\nThe federation keeps running; press Ctrl-C to stop it.`);
      const reason = await stop.reason;
      say(false, `${reason}: stopping the federation…`);
      await letServicesStopThemselves(services);
    }
    return result;
  } finally {
    const codes = await Promise.all(services.reverse().map((s) => s.stop()));
    releaseSignals?.();
    const unclean = services.filter((_, i) => codes[i] !== 0).map((s) => s.name);
    if (unclean.length > 0)
      say(options.quiet, `warning: ${unclean.join(', ')} did not exit cleanly (logs: ${logs})`);
  }
}

export const PRIVACY_SWEEP = [0.5, 1, 3, 8];

/** Polls the job until it ends (progress bars on the way); a job that does not complete is an error. */
async function followJob(
  gateway: GatewayClient,
  submitted: Job,
  progress: RoundProgress | undefined,
  logs: string,
): Promise<Job> {
  let job = submitted;
  while (!['completed', 'failed', 'cancelled'].includes(job.status)) {
    // Each poll costs the aggregator a full job view; four a second keep the bars live without taking CPU
    // from the silos' training on a small machine.
    await new Promise((r) => setTimeout(r, 250));
    job = await gateway.getJob(job.jobId);
    progress?.update(job);
  }
  progress?.stop();
  if (job.status !== 'completed') {
    throw new CliError(
      `the job ended ${job.status}: ${job.failureReason} (logs: ${logs})`,
      'DEMO_JOB_FAILED',
    );
  }
  return job;
}

async function waitForSilos(gateway: GatewayClient, count: number, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const connected = (await gateway.listSilos()).silos.filter((s) => s.connected).length;
    if (connected >= count) return;
    if (Date.now() > deadline) {
      throw new CliError(
        `only ${connected} of ${count} silos connected within ${timeoutMs / 1000} s`,
        'DEMO_SILOS_MISSING',
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function formatDemo(r: DemoResult): string {
  const pct = (x: number | null): string => (x === null ? '  n/a ' : `${(x * 100).toFixed(1).padStart(5)}%`);
  const auc = (x: number | null): string => (x === null ? ' n/a ' : x.toFixed(3));
  const lines = [
    '',
    `Job ${r.jobId}: ${r.status} after ${r.rounds} rounds (${r.model}, database: ${r.database})`,
    '',
    '                     federated            pooled baseline',
    '                     accuracy  AUC        accuracy  AUC',
    `  all test sets      ${pct(r.metrics.accuracy)}    ${auc(r.metrics.auc)}      ${pct(r.pooledBaseline.metrics.accuracy)}    ${auc(r.pooledBaseline.metrics.auc)}`,
  ];
  for (const [silo, m] of Object.entries(r.perSilo)) {
    const p = r.pooledBaseline.perSilo[silo];
    lines.push(
      `  ${silo.padEnd(17)}  ${pct(m.accuracy)}    ${auc(m.auc)}      ${pct(p?.accuracy ?? null)}    ${auc(p?.auc ?? null)}`,
    );
  }
  if (r.privacySweep.length > 0) {
    lines.push(
      '',
      'Privacy sweep (δ = 1e-3, patient level, central noise):',
      '  target ε   spent ε   σ        accuracy  AUC',
    );
    for (const p of r.privacySweep) {
      lines.push(
        `  ${(p.epsilon === null ? '∞' : String(p.epsilon)).padEnd(9)}  ${p.epsilonSpent === null ? '  —    ' : p.epsilonSpent.toFixed(3)}   ${p.noiseMultiplier === null ? '  —   ' : p.noiseMultiplier.toFixed(3)}   ${pct(p.accuracy)}    ${auc(p.auc)}`,
      );
    }
  }
  if (r.privacySweepPlot) lines.push(`  plot: ${r.privacySweepPlot}`);
  lines.push(
    '',
    `Round overhead: ${r.overheadMsPerRound} ms (mean round ${r.meanRoundMs} ms minus the slowest silo's training, mean ${r.meanSlowestTrainMs} ms)`,
    `Logs: ${r.logs}`,
  );
  return lines.join('\n');
}

import type { Command } from 'commander';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import type { Job } from '@cohort/protocol';
import { parse as parseYaml } from 'yaml';
import type { JobEventView } from '../../../gateway/src/jobs/job.service.js';
import { RoundProgress } from '../demo/progress.js';
import { connectGateway } from '../gateway-client.js';
import { badArguments, CliError, parsePositiveInt, report } from '../output.js';

const TERMINAL = ['completed', 'failed', 'cancelled'];

/** A job spec file: JSON, or YAML for people who prefer it (.yaml / .yml). */
export async function readSpecFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw badArguments(`cannot read the job spec ${path}: ${(err as Error).message}`);
  }
  const yaml = ['.yaml', '.yml'].includes(extname(path).toLowerCase());
  try {
    return yaml ? (parseYaml(text) as unknown) : (JSON.parse(text) as unknown);
  } catch (err) {
    throw badArguments(`${path} is not valid ${yaml ? 'YAML' : 'JSON'}: ${(err as Error).message}`);
  }
}

function metricsText(job: Job): string {
  const last = [...job.rounds].reverse().find((r) => r.metrics);
  if (!last?.metrics) return '';
  const m = last.metrics;
  return `  round ${last.round}: accuracy ${m.accuracy.toFixed(3)}, loss ${m.loss.toFixed(4)}`;
}

export function formatJobLine(job: Job): string {
  const created = new Date(job.createdAtUnixMs)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d{3}Z$/, 'Z');
  return `${job.jobId}  ${job.status.padEnd(9)}  ${String(job.currentRound).padStart(3)}/${String(job.spec?.rounds ?? '?').padEnd(3)}  ${job.submittedBy.padEnd(20)}  ${created}  ${job.spec?.name ?? ''}`;
}

/**
 * Follows a job through its event stream: a bar per round with live metrics (on a terminal), and the job as it
 * ended. A stream cut before the end is resumed (events carry the whole job, so nothing is missed).
 */
export async function watchJob(
  gateway: ReturnType<typeof connectGateway>,
  jobId: string,
  progress: RoundProgress,
): Promise<Job> {
  let job: Job | undefined;
  for (let attempt = 0; attempt < 5; attempt++) {
    for await (const event of gateway.watchJob(jobId)) {
      if (event.type === 'error')
        throw new CliError(`watching job ${jobId} failed: ${event.message}`, 'WATCH_FAILED');
      const withJob = event as JobEventView & { job?: Job };
      if (withJob.job) {
        job = withJob.job;
        progress.update(job);
      }
    }
    job = await gateway.getJob(jobId);
    progress.update(job);
    if (TERMINAL.includes(job.status)) break;
  }
  progress.stop();
  if (!job) throw new CliError(`job ${jobId} sent no events`, 'WATCH_FAILED');
  return job;
}

interface GatewayOption {
  gateway?: string;
  json?: boolean;
}

/** `cohort job submit|list|watch|cancel|download`: a researcher's jobs, through the gateway. */
export function registerJobCommands(program: Command): void {
  const job = program.command('job').description('submit and follow federated-learning jobs');
  const gatewayOption = '--gateway <url>';
  const gatewayHelp = 'the gateway (default: COHORT_GATEWAY_URL, else http://127.0.0.1:8080)';

  job
    .command('submit <spec>')
    .description('submit a job spec (JSON or YAML); --watch follows it to the end')
    .option(gatewayOption, gatewayHelp)
    .option('--watch', 'follow the job until it ends (exit 1 unless it completes)')
    .option('--json', 'print JSON')
    .action(async (specPath: string, o: GatewayOption & { watch?: boolean }) => {
      const gateway = connectGateway(o.gateway);
      const submitted = await gateway.submitJob(await readSpecFile(specPath));
      if (!o.watch) {
        report(Boolean(o.json), submitted, () => `Submitted job ${submitted.jobId} (${submitted.status}).`);
        return;
      }
      process.stderr.write(
        `Submitted job ${submitted.jobId}; following it (Ctrl-C stops watching, not the job).\n`,
      );
      const ended = await watchJob(gateway, submitted.jobId, new RoundProgress(!o.json));
      report(Boolean(o.json), ended, () => `Job ${ended.jobId} ${ended.status}.${metricsText(ended)}`);
      if (ended.status !== 'completed') process.exitCode = 1;
    });

  job
    .command('list')
    .description('your jobs (compliance and admins: everyone’s), newest first')
    .option(gatewayOption, gatewayHelp)
    .option('--submitted-by <subject>', 'only this person’s jobs (compliance, admin)')
    .option('--limit <n>', 'at most this many', parsePositiveInt('--limit'), 50)
    .option('--json', 'print JSON')
    .action(async (o: GatewayOption & { submittedBy?: string; limit: number }) => {
      const page = await connectGateway(o.gateway).listJobs({
        submittedBy: o.submittedBy,
        pageSize: o.limit,
      });
      const jobs = page.jobs as unknown as Job[];
      report(Boolean(o.json), page, () =>
        jobs.length === 0
          ? 'No jobs.'
          : [
              'JOB                                   STATUS     ROUND    OWNER                 CREATED               NAME',
              ...jobs.map(formatJobLine),
            ].join('\n'),
      );
    });

  job
    .command('watch <id>')
    .description('follow a job: a progress bar per round with live metrics')
    .option(gatewayOption, gatewayHelp)
    .option('--json', 'print JSON (the job as it ended)')
    .action(async (id: string, o: GatewayOption) => {
      const ended = await watchJob(connectGateway(o.gateway), id, new RoundProgress(!o.json));
      report(Boolean(o.json), ended, () => `Job ${ended.jobId} ${ended.status}.${metricsText(ended)}`);
      if (ended.status !== 'completed') process.exitCode = 1;
    });

  job
    .command('cancel <id>')
    .description('cancel a pending or running job')
    .option(gatewayOption, gatewayHelp)
    .option('--reason <text>', 'recorded in the audit trail')
    .option('--json', 'print JSON')
    .action(async (id: string, o: GatewayOption & { reason?: string }) => {
      const cancelled = await connectGateway(o.gateway).cancelJob(id, o.reason);
      report(Boolean(o.json), cancelled, () => `Job ${cancelled.jobId} ${cancelled.status}.`);
    });

  job
    .command('download <id>')
    .description('the released model (TensorFlow.js layers format) with its privacy statement')
    .option(gatewayOption, gatewayHelp)
    .option('--out <dir>', 'where to write model.json, model.weights.bin and privacy.json', '.')
    .option('--json', 'print JSON')
    .action(async (id: string, o: GatewayOption & { out: string }) => {
      const { modelJson, weights } = await connectGateway(o.gateway).downloadModel(id);
      const dir = resolve(o.out);
      await mkdir(dir, { recursive: true });
      const statement =
        (modelJson as { userDefinedMetadata?: { cohortPrivacyStatement?: unknown } }).userDefinedMetadata
          ?.cohortPrivacyStatement ?? null;
      // Written under temporary names and renamed, so a half-written model never looks like a whole one.
      const files = {
        model: join(dir, 'model.json'),
        weights: join(dir, 'model.weights.bin'),
        privacy: join(dir, 'privacy.json'),
      };
      await writeFile(`${files.weights}.partial`, weights);
      await writeFile(`${files.model}.partial`, `${JSON.stringify(modelJson, null, 2)}\n`);
      await writeFile(`${files.privacy}.partial`, `${JSON.stringify(statement, null, 2)}\n`);
      for (const f of Object.values(files)) await rename(`${f}.partial`, f);
      report(Boolean(o.json), { jobId: id, files, bytes: weights.byteLength, privacy: statement }, () =>
        [
          `Model of job ${id} written to ${dir} (model.json, model.weights.bin: ${weights.byteLength} bytes).`,
          statement
            ? `Privacy statement in privacy.json.`
            : 'No differential privacy: the job ran without a privacy budget.',
          `Load it with tf.loadLayersModel('file://${files.model}').`,
        ].join('\n'),
      );
    });
}

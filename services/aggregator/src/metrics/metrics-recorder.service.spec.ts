import { AggregatorMetrics, createMetricsRegistry } from '@cohort/observability';
import type { Logger } from 'pino';
import type { SiloSessions } from '../federation/silo-sessions.service.js';
import { JobEvents } from '../jobs/job-events.service.js';
import type { JobRepository } from '../jobs/job.repository.js';
import type { RoundRepository } from '../rounds/round.repository.js';
import { MetricsRecorder } from './metrics-recorder.service.js';

const quiet = { debug: () => undefined, warn: () => undefined } as unknown as Logger;

interface Sample {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
}

async function samples(metrics: AggregatorMetrics, name: string): Promise<Sample[]> {
  const metric = metrics.registry.getSingleMetric(name);
  if (!metric) throw new Error(`no metric ${name}`);
  return (await metric.get()).values as Sample[];
}

async function value(
  metrics: AggregatorMetrics,
  name: string,
  labels: Record<string, string>,
): Promise<number> {
  const found = (await samples(metrics, name)).find((s) =>
    Object.entries(labels).every(([k, v]) => String(s.labels[k]) === v),
  );
  if (!found) throw new Error(`no ${name} sample with ${JSON.stringify(labels)}`);
  return found.value;
}

describe('MetricsRecorder', () => {
  let events: JobEvents;
  let metrics: AggregatorMetrics;
  let recorder: MetricsRecorder;
  let unfinished: number | Error;
  let epsilonByRound: (number | null)[];

  beforeEach(() => {
    events = new JobEvents();
    metrics = new AggregatorMetrics(createMetricsRegistry('aggregator'));
    unfinished = 3;
    epsilonByRound = [];
    const jobs = {
      listUnfinished: () =>
        unfinished instanceof Error
          ? Promise.reject(unfinished)
          : Promise.resolve(Array.from({ length: unfinished }, () => ({}))),
    } as unknown as JobRepository;
    const rounds = {
      latestEpsilon: () => Promise.resolve(epsilonByRound.filter((e) => e !== null).at(-1) ?? null),
    } as unknown as RoundRepository;
    const sessions = { connected: () => [{ siloId: 'a' }, { siloId: 'b' }] } as unknown as SiloSessions;
    recorder = new MetricsRecorder(metrics, events, jobs, rounds, sessions, quiet);
    recorder.onModuleInit();
  });
  afterEach(() => recorder.onModuleDestroy());

  it('starts every counter at zero, so a fresh aggregator reads 0 rather than no data', async () => {
    expect(await value(metrics, 'cohort_rounds_total', { outcome: 'completed' })).toBe(0);
    expect(await value(metrics, 'cohort_rounds_total', { outcome: 'failed' })).toBe(0);
    expect(await value(metrics, 'cohort_updates_total', { result: 'accepted' })).toBe(0);
  });

  it('times a round from its start to its completion and reads ε as recorded', async () => {
    epsilonByRound = [0.8, 1.25];
    events.emit({ jobId: 'j1', type: 'round_started', round: 2, atUnixMs: 10_000 });
    events.emit({ jobId: 'j1', type: 'round_completed', round: 2, atUnixMs: 13_500 });
    expect(await value(metrics, 'cohort_rounds_total', { outcome: 'completed' })).toBe(1);
    const histogram = await samples(metrics, 'cohort_round_duration_seconds');
    expect(
      histogram.find((s) => s.metricName?.endsWith('_sum') && s.labels.outcome === 'completed')?.value,
    ).toBe(3.5);
    expect(histogram.find((s) => s.labels.le === 2.5 && s.labels.outcome === 'completed')?.value).toBe(0);
    expect(histogram.find((s) => s.labels.le === 5 && s.labels.outcome === 'completed')?.value).toBe(1);
    expect(await value(metrics, 'cohort_epsilon_spent', { job_id: 'j1' })).toBe(1.25);
  });

  it('counts the open round of a failed or cancelled job as failed, once', async () => {
    events.emit({ jobId: 'j1', type: 'round_started', round: 1, atUnixMs: 0 });
    events.emit({ jobId: 'j2', type: 'round_started', round: 4, atUnixMs: 0 });
    events.emit({ jobId: 'j1', type: 'status', message: 'failed: round 1 closed with 1 accepted update(s)' });
    events.emit({ jobId: 'j1', type: 'status', message: 'failed: again' });
    events.emit({ jobId: 'j2', type: 'status', message: 'cancelled' });
    events.emit({ jobId: 'j3', type: 'status', message: 'completed' });
    expect(await value(metrics, 'cohort_rounds_total', { outcome: 'failed' })).toBe(2);
    expect(await value(metrics, 'cohort_rounds_total', { outcome: 'completed' })).toBe(0);
  });

  it('leaves ε out for a job without differential privacy', async () => {
    epsilonByRound = [null, null];
    events.emit({ jobId: 'plain', type: 'round_completed', round: 2 });
    expect(await samples(metrics, 'cohort_epsilon_spent')).toEqual([]);
  });

  it('reads active jobs and silo sessions at scrape time; NaN while the database is down', async () => {
    const text = await metrics.registry.metrics();
    expect(text).toContain('cohort_active_jobs{service="aggregator"} 3');
    expect(text).toContain('cohort_silo_sessions{service="aggregator"} 2');
    unfinished = new Error('connection refused');
    // prom-client writes "Nan"; Prometheus parses the value case-insensitively.
    expect(await metrics.registry.metrics()).toMatch(/^cohort_active_jobs\{service="aggregator"\} nan$/im);
  });

  it('counts updates accepted, and rejected by code', async () => {
    metrics.updateAccepted();
    metrics.updateAccepted();
    metrics.updateRejected('UPDATE_LATE');
    metrics.updateRejected('UPDATE_SIGNATURE_INVALID');
    metrics.updateRejected('UPDATE_LATE');
    expect(await value(metrics, 'cohort_updates_total', { result: 'accepted' })).toBe(2);
    expect(await value(metrics, 'cohort_updates_total', { result: 'rejected', reason: 'UPDATE_LATE' })).toBe(
      2,
    );
    expect(
      await value(metrics, 'cohort_updates_total', {
        result: 'rejected',
        reason: 'UPDATE_SIGNATURE_INVALID',
      }),
    ).toBe(1);
  });

  it('keeps each registry its own: a second aggregator in the process starts from zero', async () => {
    metrics.updateAccepted();
    const other = new AggregatorMetrics(createMetricsRegistry('aggregator'));
    const accepted = (await other.registry.getSingleMetric('cohort_updates_total')!.get()).values;
    expect(accepted.map((s) => s.value)).toEqual([0]);
  });
});

import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Round latency from the tasks going out to the round's close, in seconds: sub-second on loopback, minutes at scale. */
export const ROUND_SECONDS_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800];

export type RoundOutcome = 'completed' | 'failed';

export interface MetricSources {
  activeJobs: () => number | Promise<number>;
  siloSessions: () => number | Promise<number>;
  /** ε of the jobs whose figure may have changed since the last scrape (the gauge keeps the others'). */
  epsilonSpent?: () => Promise<ReadonlyMap<string, number>>;
}

/** What an operator graphs and alerts on for the aggregator; the names are the contract with dashboards. */
export class AggregatorMetrics {
  private readonly rounds: Counter<'outcome'>;
  private readonly roundSeconds: Histogram<'outcome'>;
  private readonly updates: Counter<'result' | 'reason'>;
  private readonly epsilon: Gauge<'job_id'>;
  private sources: MetricSources | undefined;

  constructor(readonly registry: Registry) {
    const registers = [registry];
    this.rounds = new Counter({
      name: 'cohort_rounds_total',
      help: 'Federated rounds ended, by outcome (completed, failed)',
      labelNames: ['outcome'],
      registers,
    });
    this.roundSeconds = new Histogram({
      name: 'cohort_round_duration_seconds',
      help: 'Round latency: from the train tasks going out to the round closing, by outcome',
      labelNames: ['outcome'],
      buckets: ROUND_SECONDS_BUCKETS,
      registers,
    });
    this.updates = new Counter({
      name: 'cohort_updates_total',
      help: 'Model updates received, by result (accepted, rejected) and rejection code (UPDATE_LATE, …)',
      labelNames: ['result', 'reason'],
      registers,
    });
    const sources = (): typeof this.sources => this.sources;
    this.epsilon = new Gauge({
      name: 'cohort_epsilon_spent',
      help: "Cumulative privacy loss ε spent by a differentially private job (the accountant's figure)",
      labelNames: ['job_id'],
      registers,
      async collect() {
        const spent = await sources()?.epsilonSpent?.();
        for (const [jobId, epsilon] of spent ?? []) this.set({ job_id: jobId }, epsilon);
      },
    });
    // Zero series exist from the start, so a rate() over a fresh aggregator is 0, not "no data".
    for (const outcome of ['completed', 'failed'] as const) this.rounds.inc({ outcome }, 0);
    this.updates.inc({ result: 'accepted', reason: '' }, 0);
  }

  /**
   * Gauges read at scrape time from the services that know them, so they can never drift from the truth.
   * Called once, when the providers exist.
   */
  observe(sources: MetricSources): void {
    this.sources = sources;
    new Gauge({
      name: 'cohort_active_jobs',
      help: 'Jobs not finished yet (pending or running), as the database has them',
      registers: [this.registry],
      async collect() {
        this.set(await sources.activeJobs());
      },
    });
    new Gauge({
      name: 'cohort_silo_sessions',
      help: 'Silos holding an open task stream with this aggregator',
      registers: [this.registry],
      async collect() {
        this.set(await sources.siloSessions());
      },
    });
  }

  /** `ms` is left out when the round's start was not seen (a round resumed from before a restart). */
  roundEnded(outcome: RoundOutcome, ms?: number): void {
    this.rounds.inc({ outcome });
    if (ms !== undefined) this.roundSeconds.observe({ outcome }, ms / 1000);
  }

  updateAccepted(): void {
    this.updates.inc({ result: 'accepted', reason: '' });
  }

  updateRejected(code: string): void {
    this.updates.inc({ result: 'rejected', reason: code });
  }
}

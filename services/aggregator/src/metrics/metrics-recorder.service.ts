import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Subscription } from 'rxjs';
import type { Logger } from 'pino';
import type { AggregatorMetrics } from '@cohort/observability';
import type { JobEvent } from '@cohort/protocol';
import { LOGGER } from '../common/logger.provider.js';
import { AGGREGATOR_METRICS } from '../common/metrics.provider.js';
import { SiloSessions } from '../federation/silo-sessions.service.js';
import { JobEvents } from '../jobs/job-events.service.js';
import { JobRepository } from '../jobs/job.repository.js';
import { RoundRepository } from '../rounds/round.repository.js';

const ENDED = /^(failed|cancelled)/;

/**
 * Rounds, their latency and ε are read off the job event stream the researchers' watchers see, so the figures
 * cannot disagree with it and the round driver carries no metrics code. A round counts as failed when its job
 * fails or is cancelled while the round is open.
 */
@Injectable()
export class MetricsRecorder implements OnModuleInit, OnModuleDestroy {
  private readonly open = new Map<string, { jobId: string; startedAt: number }>();
  private readonly epsilonChanged = new Set<string>();
  private subscription: Subscription | undefined;

  constructor(
    @Inject(AGGREGATOR_METRICS) private readonly metrics: AggregatorMetrics,
    private readonly events: JobEvents,
    private readonly jobs: JobRepository,
    private readonly rounds: RoundRepository,
    private readonly sessions: SiloSessions,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  onModuleInit(): void {
    this.metrics.observe({
      activeJobs: () =>
        this.jobs.listUnfinished().then(
          (rows) => rows.length,
          (err: Error) => {
            // A scrape during a database outage still answers; the gap shows as NaN, readiness says why.
            this.log.debug({ reason: err.message }, 'active jobs unknown for this scrape');
            return Number.NaN;
          },
        ),
      siloSessions: () => this.sessions.connected().length,
      epsilonSpent: () => this.readEpsilon(),
    });
    this.subscription = this.events.stream().subscribe((e) => this.record(e));
  }

  onModuleDestroy(): void {
    this.subscription?.unsubscribe();
  }

  private record(e: JobEvent): void {
    const key = `${e.jobId}#${e.round}`;
    if (e.type === 'round_started') {
      this.open.set(key, { jobId: e.jobId, startedAt: e.atUnixMs });
    } else if (e.type === 'round_completed') {
      const started = this.open.get(key);
      this.open.delete(key);
      this.metrics.roundEnded('completed', started ? e.atUnixMs - started.startedAt : undefined);
      this.epsilonChanged.add(e.jobId);
    } else if (e.type === 'status' && ENDED.test(e.message)) {
      for (const [k, r] of this.open) {
        if (r.jobId !== e.jobId) continue;
        this.open.delete(k);
        this.metrics.roundEnded('failed', e.atUnixMs - r.startedAt);
      }
    }
  }

  /**
   * The accountant's cumulative ε as recorded with the last round, read at scrape time for the jobs that completed
   * a round since the last scrape (none for a job without DP): no query on a round's path.
   */
  private async readEpsilon(): Promise<Map<string, number>> {
    const jobs = [...this.epsilonChanged];
    this.epsilonChanged.clear();
    const spent = new Map<string, number>();
    for (const jobId of jobs) {
      try {
        const epsilon = await this.rounds.latestEpsilon(jobId);
        if (epsilon !== null) spent.set(jobId, epsilon);
      } catch (err) {
        // Read again at the next scrape.
        this.epsilonChanged.add(jobId);
        this.log.warn({ jobId, reason: (err as Error).message }, 'ε for the metrics could not be read');
      }
    }
    return spent;
  }
}

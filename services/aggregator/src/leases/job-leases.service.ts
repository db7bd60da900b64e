import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import { isDatabaseUnavailable } from '@cohort/storage';
import { AggregatorConfig } from '../config.js';
import { LOGGER } from '../common/logger.provider.js';
import { DatabaseHealth } from '../database/database-health.service.js';
import { JobRepository, TERMINAL_STATUSES } from '../jobs/job.repository.js';
import { JobRunner } from '../rounds/job-runner.service.js';
import { LeaseRepository } from './lease.repository.js';

/** Jobs one replica takes per heartbeat, so a replica starting beside idle ones does not grab every job at once. */
const CLAIM_BATCH = 8;

/**
 * Which jobs this replica drives. Every heartbeat (a third of the lease time) it renews the leases it holds,
 * stops the jobs whose lease it lost, and claims jobs whose lease expired (their replica died) or that nobody
 * drives; a claimed job resumes from its last completed round. With one replica this is the restart path too.
 */
@Injectable()
export class JobLeases implements OnApplicationBootstrap, OnApplicationShutdown {
  /** Jobs this replica's runner drives, each until its run settles. */
  private readonly held = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private beating: Promise<void> | undefined;
  private stopping = false;

  constructor(
    private readonly leases: LeaseRepository,
    private readonly jobs: JobRepository,
    private readonly runner: JobRunner,
    private readonly config: AggregatorConfig,
    @Inject(LOGGER) private readonly log: Logger,
    private readonly database: DatabaseHealth,
  ) {}

  get owner(): string {
    return this.config.lease.replicaId;
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.heartbeat();
    this.timer = setInterval(
      () => void this.heartbeat(),
      Math.max(200, Math.floor(this.config.lease.leaseMs / 3)),
    );
  }

  /** Stops driving, then hands every lease back so another replica resumes the jobs without waiting for expiry. */
  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    await this.beating;
    await Promise.allSettled([...this.held].map((jobId) => this.runner.stop(jobId)));
    await this.leases
      .release(this.owner)
      .catch((err: unknown) =>
        this.log.warn({ err }, 'could not hand the job leases back; they will expire'),
      );
  }

  /** A job this replica just stored: it takes the lease at once rather than at the next heartbeat. */
  async take(jobId: string): Promise<void> {
    const claimed = await this.leases.claim(this.owner, this.config.lease.leaseMs, 1, jobId);
    for (const c of claimed) this.drive(c.jobId, c.generation, c.previousOwner);
  }

  /** True while this replica drives the job. */
  drives(jobId: string): boolean {
    return this.held.has(jobId);
  }

  private heartbeat(): Promise<void> {
    this.beating ??= this.beat().finally(() => (this.beating = undefined));
    return this.beating;
  }

  private async beat(): Promise<void> {
    if (this.stopping) return;
    try {
      const mine = [...this.held];
      const kept = new Set(await this.leases.renew(this.owner, mine, this.config.lease.leaseMs));
      for (const jobId of mine.filter((j) => !kept.has(j))) {
        this.log.warn(
          { jobId, replica: this.owner },
          'job lease lost (taken over or ended elsewhere): stopping',
        );
        await this.runner.stop(jobId);
      }
      if (this.stopping) return;
      const claimed = await this.leases.claim(this.owner, this.config.lease.leaseMs, CLAIM_BATCH);
      for (const c of claimed) this.drive(c.jobId, c.generation, c.previousOwner);
    } catch (err) {
      // Leases already held stay valid until they expire; the next heartbeat tries again.
      const unavailable = isDatabaseUnavailable(err);
      if (unavailable) this.database.reportUnavailable();
      this.log[unavailable ? 'warn' : 'error']({ err, replica: this.owner }, 'job lease heartbeat failed');
    }
  }

  private drive(jobId: string, generation: number, previousOwner: string | null): void {
    if (this.held.has(jobId) || this.stopping) return;
    this.held.add(jobId);
    if (previousOwner) {
      this.log.warn(
        { jobId, replica: this.owner, previousOwner, generation },
        'took over a job whose lease expired',
      );
    } else {
      this.log.info({ jobId, replica: this.owner, generation }, 'job lease acquired');
    }
    void this.runner
      .start(jobId)
      .then(() => this.settled(jobId))
      .catch((err: unknown) => this.log.error({ err, jobId }, 'releasing a job lease failed'));
  }

  /**
   * The run ended. A finished job's lease is released; an unfinished one (the database went away mid-round, or
   * the run was stopped) keeps its lease, and the next heartbeat resumes it here or lets it expire to another.
   */
  private async settled(jobId: string): Promise<void> {
    this.held.delete(jobId);
    if (this.stopping) return;
    const job = await this.jobs.get(jobId);
    if (job && TERMINAL_STATUSES.includes(job.status)) await this.leases.release(this.owner, jobId);
  }
}

import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import { ApprovalStore, type PendingJob } from './approvals/approval-store.js';
import { SiloConfig } from './config.js';
import { LOGGER } from './logger.provider.js';

const POLL_MS = 500;

type OnDecision = (d: { accept: boolean; reason: string }) => Promise<void>;

/** Jobs a person must approve: held until `cohort silo approve|reject` decides, then passed on. */
@Injectable()
export class ApprovalsService implements OnApplicationShutdown {
  private readonly store: ApprovalStore;
  private readonly waiting = new Map<string, OnDecision>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    config: SiloConfig,
    @Inject(LOGGER) private readonly log: Logger,
  ) {
    this.store = new ApprovalStore(config.stateDir);
  }

  async hold(job: Omit<PendingJob, 'receivedAtUnixMs'>, onDecision: OnDecision): Promise<void> {
    await this.store.addPending({ ...job, receivedAtUnixMs: Date.now() });
    this.waiting.set(job.jobId, onDecision);
    this.log.info(
      { audit: true, jobId: job.jobId, submittedBy: job.submittedBy },
      'job offer waits for a site admin: `cohort silo jobs`, then `cohort silo approve|reject <job>`',
    );
    this.timer ??= setInterval(() => void this.poll(), POLL_MS);
  }

  /** A cancelled job no longer waits. */
  async forget(jobId: string): Promise<void> {
    this.waiting.delete(jobId);
    await this.store.removePending(jobId);
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  private async poll(): Promise<void> {
    // Under load thousands of offers may wait: look only at those a person has decided on.
    const decided = new Set(await this.store.decidedJobIds());
    for (const [jobId, onDecision] of [...this.waiting]) {
      if (!decided.has(jobId)) continue;
      const approval = await this.store.takeDecision(jobId).catch(() => undefined);
      if (!approval) continue;
      this.waiting.delete(jobId);
      this.log.info(
        { audit: true, jobId, accept: approval.accept, by: approval.decidedBy, reason: approval.reason },
        'site admin decided on a job',
      );
      await onDecision({
        accept: approval.accept,
        reason: `${approval.accept ? 'approved' : 'rejected'} by ${approval.decidedBy}${approval.reason ? `: ${approval.reason}` : ''}`,
      }).catch((err: unknown) => this.log.error({ err, jobId }, 'sending the decision failed'));
    }
    if (this.waiting.size === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}

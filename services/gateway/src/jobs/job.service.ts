import { Inject, Injectable } from '@nestjs/common';
import type { GatewayMetrics } from '@cohort/observability';
import { can, ownsOrCan, type Principal } from '@cohort/auth';
import { parseJobSpec } from '@cohort/jobs';
import type { Job, JobEvent } from '@cohort/protocol';
import type { MessageEvent } from '@nestjs/common';
import {
  catchError,
  concatMap,
  defer,
  finalize,
  from,
  interval,
  last,
  map,
  merge,
  of,
  share,
  takeUntil,
  type Observable,
} from 'rxjs';
import { z } from 'zod';
import { JobsClient } from '../aggregator/jobs.client.js';
import { GatewayErrorCode, GatewayException } from '../common/gateway.exception.js';
import { METRICS } from '../common/tokens.js';
import { parseRequest } from '../common/request-validation.js';
import { toJobListView, toJobView, type JobListView, type JobView } from './job-view.js';

const listQuery = z.strictObject({
  pageSize: z.coerce.number().int().min(1).max(1000).optional(),
  pageToken: z.string().max(1024).optional(),
  submittedBy: z.string().max(128).optional(),
});

const cancelBody = z.strictObject({ reason: z.string().max(1000).optional() }).optional();

@Injectable()
export class JobService {
  constructor(
    private readonly jobs: JobsClient,
    @Inject(METRICS) private readonly metrics: GatewayMetrics,
  ) {}

  async submit(body: unknown, principal: string): Promise<JobView> {
    const parsed = parseJobSpec(body);
    if (!parsed.ok) {
      const fields = parsed.errors.map((e) => e.field);
      throw new GatewayException(
        GatewayErrorCode.JOB_SPEC_INVALID,
        `the job spec is invalid (${fields.length === 1 ? 'field' : 'fields'}: ${fields.join(', ')})`,
        parsed.errors,
      );
    }
    return toJobView(await this.jobs.submitJob({ spec: parsed.spec, submittedBy: principal }));
  }

  /** A job the principal may see: their own, or any with job.read.any. Others' jobs are not found, not forbidden. */
  async readable(jobId: string, principal: Principal): Promise<Job> {
    const job = await this.jobs.getJob(jobId);
    if (!ownsOrCan(principal, job.submittedBy, 'job.read.own', 'job.read.any')) {
      throw new GatewayException(GatewayErrorCode.JOB_NOT_FOUND, `job ${jobId} not found`);
    }
    return job;
  }

  async get(jobId: string, principal: Principal): Promise<JobView> {
    return toJobView(await this.readable(jobId, principal));
  }

  /** A researcher lists their own jobs; with job.read.any (compliance, admin) anyone's, filtered by submittedBy. */
  async list(query: unknown, principal: Principal): Promise<JobListView> {
    const q = parseRequest(
      listQuery,
      query,
      'invalid query parameters',
      'unknown query parameter; use pageSize, pageToken or submittedBy',
    );
    const any = can(principal, 'job.read.any');
    if (!any && q.submittedBy !== undefined && q.submittedBy !== principal.subject) {
      throw new GatewayException(
        GatewayErrorCode.FORBIDDEN,
        `${principal.name} may list only their own jobs`,
        [{ field: 'submittedBy', message: 'must be your own subject, or left out' }],
        'PERMISSION_DENIED',
      );
    }
    return toJobListView(
      await this.jobs.listJobs({
        pageSize: q.pageSize ?? 0,
        pageToken: q.pageToken ?? '',
        submittedBy: any ? (q.submittedBy ?? '') : principal.subject,
      }),
    );
  }

  async cancel(jobId: string, body: unknown, principal: Principal): Promise<JobView> {
    const parsed = parseRequest(cancelBody, body, 'invalid cancel request');
    const job = await this.readable(jobId, principal);
    if (!ownsOrCan(principal, job.submittedBy, 'job.cancel.own', 'job.cancel.any')) {
      throw new GatewayException(
        GatewayErrorCode.FORBIDDEN,
        `${principal.name} may not cancel job ${jobId}`,
        [],
        'PERMISSION_DENIED',
      );
    }
    return toJobView(
      await this.jobs.cancelJob({ jobId, requestedBy: principal.subject, reason: parsed?.reason ?? '' }),
    );
  }

  /**
   * The job's progress for Server-Sent Events: the aggregator's events, each status change and finished round
   * with the job as it now is (metrics, ε, outlier flags), and a keep-alive every 15 s so proxies keep the
   * connection. Ownership is checked before the stream opens, so a stranger gets a 404, not an empty stream.
   */
  async events(jobId: string, principal: Principal): Promise<Observable<MessageEvent>> {
    await this.readable(jobId, principal);
    const events = this.jobs.watchJob(jobId).pipe(
      concatMap((e) =>
        e.job
          ? of(eventView(e, toJobView(e.job)))
          : e.type === 'status' || e.type === 'round_completed'
            ? from(this.jobs.getJob(jobId)).pipe(map((job) => eventView(e, toJobView(job))))
            : of(eventView(e, undefined)),
      ),
      map((data): MessageEvent => ({ type: data.type, data })),
    );
    const keepAlive = interval(KEEP_ALIVE_MS).pipe(map((): MessageEvent => ({ type: 'ping', data: {} })));
    // One watch per client: the keep-alive stops when the (shared) event stream ends.
    const shared = events.pipe(share());
    const stream = merge(shared, keepAlive.pipe(takeUntil(shared.pipe(last(undefined, null))))).pipe(
      catchError((err: unknown) =>
        of<MessageEvent>({
          type: 'error',
          data: {
            code: err instanceof GatewayException ? err.publicCode : 'INTERNAL',
            message: (err as Error).message,
          },
        }),
      ),
    );
    return defer(() => {
      this.metrics.streamOpened();
      return stream.pipe(finalize(() => this.metrics.streamClosed()));
    });
  }
}

const KEEP_ALIVE_MS = 15_000;

/** What an SSE client receives in each event's data. */
export interface JobEventView {
  type: string;
  round: number;
  siloId: string | null;
  message: string;
  at: string;
  /** The job after a status change or a finished round; absent on per-update events. */
  job?: JobView;
}

function eventView(e: JobEvent, job: JobView | undefined): JobEventView {
  return {
    type: e.type,
    round: e.round,
    siloId: e.siloId || null,
    message: e.message,
    at: new Date(e.atUnixMs || Date.now()).toISOString(),
    ...(job ? { job } : {}),
  };
}

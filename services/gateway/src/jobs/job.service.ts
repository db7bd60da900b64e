import { Injectable } from '@nestjs/common';
import { can, ownsOrCan, type Principal } from '@cohort/auth';
import { parseJobSpec } from '@cohort/jobs';
import type { Job } from '@cohort/protocol';
import { z } from 'zod';
import { JobsClient } from '../aggregator/jobs.client.js';
import { GatewayErrorCode, GatewayException } from '../common/gateway.exception.js';
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
  constructor(private readonly jobs: JobsClient) {}

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
}

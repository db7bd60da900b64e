import { Injectable } from '@nestjs/common';
import { parseJobSpec } from '@cohort/jobs';
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

  async get(jobId: string): Promise<JobView> {
    return toJobView(await this.jobs.getJob(jobId));
  }

  async list(query: unknown): Promise<JobListView> {
    const q = parseRequest(
      listQuery,
      query,
      'invalid query parameters',
      'unknown query parameter; use pageSize, pageToken or submittedBy',
    );
    return toJobListView(
      await this.jobs.listJobs({
        pageSize: q.pageSize ?? 0,
        pageToken: q.pageToken ?? '',
        submittedBy: q.submittedBy ?? '',
      }),
    );
  }

  async cancel(jobId: string, body: unknown, principal: string): Promise<JobView> {
    const parsed = parseRequest(cancelBody, body, 'invalid cancel request');
    return toJobView(
      await this.jobs.cancelJob({ jobId, requestedBy: principal, reason: parsed?.reason ?? '' }),
    );
  }
}

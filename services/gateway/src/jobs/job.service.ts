import { Injectable } from '@nestjs/common';
import { parseJobSpec } from '@cohort/jobs';
import { z } from 'zod';
import { JobsClient } from '../aggregator/jobs.client.js';
import { GatewayErrorCode, GatewayException, type FieldProblem } from '../common/gateway.exception.js';
import { toJobListView, toJobView, type JobListView, type JobView } from './job-view.js';

const listQuery = z.strictObject({
  pageSize: z.coerce.number().int().min(1).max(1000).optional(),
  pageToken: z.string().max(1024).optional(),
  submittedBy: z.string().max(128).optional(),
});

const cancelBody = z.strictObject({ reason: z.string().max(1000).optional() }).optional();

function problems(issues: readonly z.core.$ZodIssue[], unknownField = 'unknown field'): FieldProblem[] {
  return issues.flatMap((i) =>
    i.code === 'unrecognized_keys'
      ? i.keys.map((key) => ({ field: [...i.path, key].join('.'), message: unknownField }))
      : [{ field: i.path.join('.'), message: i.message }],
  );
}

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
    const parsed = listQuery.safeParse(query);
    if (!parsed.success) {
      throw new GatewayException(
        GatewayErrorCode.REQUEST_INVALID,
        'invalid query parameters',
        problems(parsed.error.issues, 'unknown query parameter; use pageSize, pageToken or submittedBy'),
      );
    }
    const q = parsed.data;
    return toJobListView(
      await this.jobs.listJobs({
        pageSize: q.pageSize ?? 0,
        pageToken: q.pageToken ?? '',
        submittedBy: q.submittedBy ?? '',
      }),
    );
  }

  async cancel(jobId: string, body: unknown, principal: string): Promise<JobView> {
    const parsed = cancelBody.safeParse(body);
    if (!parsed.success) {
      throw new GatewayException(
        GatewayErrorCode.REQUEST_INVALID,
        'invalid cancel request',
        problems(parsed.error.issues),
      );
    }
    return toJobView(
      await this.jobs.cancelJob({ jobId, requestedBy: principal, reason: parsed.data?.reason ?? '' }),
    );
  }
}

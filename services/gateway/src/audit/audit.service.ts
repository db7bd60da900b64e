import { Injectable, StreamableFile } from '@nestjs/common';
import type { AuditFilter } from '@cohort/protocol';
import { PassThrough } from 'node:stream';
import { z } from 'zod';
import { JobsClient } from '../aggregator/jobs.client.js';
import { parseRequest } from '../common/request-validation.js';
import {
  toAuditPageView,
  toAuditVerificationView,
  type AuditPageView,
  type AuditVerificationView,
} from './audit-view.js';

const ACTION = /^[a-z]+(\.[a-z_]+)+$/;
const instant = z
  .string()
  .refine((v) => !Number.isNaN(Date.parse(v)), {
    error: 'must be an ISO-8601 time, e.g. 2026-11-27T10:00:00Z',
  })
  .transform((v) => Date.parse(v));

const filterQuery = {
  jobId: z.string().min(1).max(200).optional(),
  siloId: z.string().min(1).max(200).optional(),
  actor: z.string().min(1).max(200).optional(),
  subject: z.string().min(1).max(300).optional(),
  /** One action, or several separated by commas. */
  action: z
    .string()
    .refine((v) => v.split(',').every((a) => ACTION.test(a)), {
      error: 'one action or several separated by commas, each like job.submitted',
    })
    .transform((v) => v.split(','))
    .optional(),
  since: instant.optional(),
  until: instant.optional(),
};

const listQuery = z.strictObject({
  ...filterQuery,
  afterSeq: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(10_000).default(100),
});

const exportQuery = z.strictObject({ ...filterQuery, format: z.enum(['jsonl', 'csv']).default('jsonl') });

function toFilter(q: z.output<z.ZodObject<typeof filterQuery>>): AuditFilter {
  return {
    jobId: q.jobId ?? '',
    siloId: q.siloId ?? '',
    actor: q.actor ?? '',
    subject: q.subject ?? '',
    actions: q.action ?? [],
    sinceUnixMs: q.since ?? 0,
    untilUnixMs: q.until ?? 0,
  };
}

@Injectable()
export class AuditService {
  constructor(private readonly jobs: JobsClient) {}

  async list(query: unknown, principal: string): Promise<AuditPageView> {
    const q = parseRequest(listQuery, query, 'invalid audit query', 'unknown query parameter');
    return toAuditPageView(
      await this.jobs.listAudit({
        filter: toFilter(q),
        afterSeq: q.afterSeq,
        limit: q.limit,
        requestedBy: principal,
      }),
    );
  }

  /** Streams the aggregator's export through unchanged; the aggregator audits it under the principal. */
  export(query: unknown, principal: string): { file: StreamableFile; format: 'jsonl' | 'csv' } {
    const q = parseRequest(exportQuery, query, 'invalid audit export', 'unknown query parameter');
    const body = new PassThrough();
    this.jobs.exportAudit({ filter: toFilter(q), format: q.format, requestedBy: principal }).subscribe({
      next: (chunk) => body.write(chunk.data),
      // Headers are gone by then: the client sees a cut-off body, and verification of it fails loudly.
      error: (err: unknown) => body.destroy(err instanceof Error ? err : new Error(String(err))),
      complete: () => body.end(),
    });
    const type = q.format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson';
    return {
      file: new StreamableFile(body, {
        type,
        disposition: `attachment; filename="cohort-audit.${q.format}"`,
      }),
      format: q.format,
    };
  }

  async verify(principal: string): Promise<AuditVerificationView> {
    return toAuditVerificationView(await this.jobs.verifyAudit(principal));
  }
}

import { Inject, Injectable } from '@nestjs/common';
import type { Database, Queryable } from '@cohort/storage';
import type { JobSpec } from '@cohort/protocol';
import { DATABASE } from '../database/database.providers.js';

export type JobStatus = 'pending' | 'running' | 'completed' | 'failed' | 'cancelled';
export const TERMINAL_STATUSES: readonly JobStatus[] = ['completed', 'failed', 'cancelled'];

export interface JobRow {
  id: string;
  spec: JobSpec;
  status: JobStatus;
  currentRound: number;
  failureReason: string | null;
  submittedBy: string;
  createdAt: Date;
  updatedAt: Date;
  /** A DP job's accountant (recorded steps); null otherwise or before its first round. */
  privacyState: unknown;
}

export interface DecisionRow {
  siloId: string;
  accept: boolean;
  reason: string;
  decidedAt: Date;
  declaredRecords: number;
}

const jobColumns = `id, spec, status, current_round AS "currentRound", failure_reason AS "failureReason",
  submitted_by AS "submittedBy", created_at AS "createdAt", updated_at AS "updatedAt",
  privacy_state AS "privacyState"`;

@Injectable()
export class JobRepository {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  async insert(id: string, spec: JobSpec, submittedBy: string): Promise<JobRow> {
    const rows = await this.db.query<JobRow>(
      `INSERT INTO jobs (id, spec, status, submitted_by) VALUES ($1, $2, 'pending', $3) RETURNING ${jobColumns}`,
      [id, JSON.stringify(spec), submittedBy],
    );
    return rows[0];
  }

  async get(id: string, tx: Queryable = this.db): Promise<JobRow | undefined> {
    const rows = await tx.query<JobRow>(`SELECT ${jobColumns} FROM jobs WHERE id = $1`, [id]);
    return rows[0];
  }

  /** Newest first; the page token is the creation time and id of the last job of the previous page. */
  async list(opts: {
    submittedBy?: string;
    limit: number;
    before?: { createdAt: Date; id: string };
  }): Promise<JobRow[]> {
    const params: unknown[] = [];
    const where: string[] = [];
    if (opts.submittedBy) {
      params.push(opts.submittedBy);
      where.push(`submitted_by = $${params.length}`);
    }
    if (opts.before) {
      params.push(opts.before.createdAt, opts.before.id);
      where.push(`(created_at, id) < ($${params.length - 1}, $${params.length})`);
    }
    params.push(opts.limit);
    return this.db.query<JobRow>(
      `SELECT ${jobColumns} FROM jobs ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY created_at DESC, id DESC LIMIT $${params.length}`,
      params,
    );
  }

  /** Jobs a (re)started aggregator must drive: new ones and those interrupted mid-run. */
  async listUnfinished(): Promise<JobRow[]> {
    return this.db.query<JobRow>(
      `SELECT ${jobColumns} FROM jobs WHERE status IN ('pending', 'running') ORDER BY created_at`,
    );
  }

  async setStatus(id: string, status: JobStatus, failureReason: string | null = null): Promise<void> {
    await this.db.query(
      `UPDATE jobs SET status = $2, failure_reason = $3, updated_at = now() WHERE id = $1`,
      [id, status, failureReason],
    );
  }

  /** Moves a job to a terminal status unless it already is in one (a cancel racing a failure keeps the first). */
  async finish(id: string, status: JobStatus, failureReason: string | null = null): Promise<boolean> {
    const rows = await this.db.query<{ id: string }>(
      `UPDATE jobs SET status = $2, failure_reason = $3, updated_at = now()
       WHERE id = $1 AND status IN ('pending', 'running') RETURNING id`,
      [id, status, failureReason],
    );
    return rows.length > 0;
  }

  async loadOptimizerState(id: string): Promise<Buffer | null> {
    const rows = await this.db.query<{ state: Buffer | null }>(
      `SELECT optimizer_state AS state FROM jobs WHERE id = $1`,
      [id],
    );
    return rows[0]?.state ?? null;
  }

  async recordDecision(
    jobId: string,
    siloId: string,
    accept: boolean,
    reason: string,
    declaredRecords = 0,
  ): Promise<void> {
    await this.db.query(
      `INSERT INTO job_decisions (job_id, silo_id, accept, reason, declared_records) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (job_id, silo_id) DO UPDATE SET accept = EXCLUDED.accept, reason = EXCLUDED.reason,
         declared_records = EXCLUDED.declared_records, decided_at = now()`,
      [jobId, siloId, accept, reason, declaredRecords],
    );
  }

  /** A DP job's spec gains its calibrated noise multiplier before it is offered. */
  async updateSpec(id: string, spec: JobSpec): Promise<void> {
    await this.db.query(`UPDATE jobs SET spec = $2::jsonb, updated_at = now() WHERE id = $1`, [
      id,
      JSON.stringify(spec),
    ]);
  }

  async listDecisions(jobId: string): Promise<DecisionRow[]> {
    return this.db.query<DecisionRow>(
      `SELECT silo_id AS "siloId", accept, reason, decided_at AS "decidedAt", declared_records AS "declaredRecords"
       FROM job_decisions
       WHERE job_id = $1 ORDER BY silo_id`,
      [jobId],
    );
  }
}

import { Inject, Injectable } from '@nestjs/common';
import type { Database } from '@cohort/storage';
import { DATABASE } from '../database/database.providers.js';

export interface ClaimedLease {
  jobId: string;
  generation: number;
  /** The replica that held it before (its lease had expired), or null for a job nobody drove yet. */
  previousOwner: string | null;
}

export interface LeaseRow {
  jobId: string;
  owner: string;
  expiresAt: Date;
  generation: number;
}

/** The job_leases table: which replica drives which job, until when. */
@Injectable()
export class LeaseRepository {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  /**
   * Takes up to `limit` unfinished jobs that no live lease covers (never leased, expired, or already this
   * owner's). The jobs' rows are locked with SKIP LOCKED, so replicas claiming at the same moment split the jobs
   * between them instead of waiting on each other; the conflict clause re-checks expiry under the row lock.
   * `jobId` narrows the claim to one job (a submission taken by the replica that stored it).
   */
  async claim(owner: string, leaseMs: number, limit: number, jobId?: string): Promise<ClaimedLease[]> {
    return this.db.query<ClaimedLease>(
      `WITH free AS (
         SELECT j.id, l.owner AS previous_owner FROM jobs j LEFT JOIN job_leases l ON l.job_id = j.id
         WHERE j.status IN ('pending', 'running') AND ($4::text IS NULL OR j.id = $4)
           AND (l.job_id IS NULL OR l.expires_at < now() OR l.owner = $1)
         ORDER BY j.created_at
         LIMIT $3
         FOR UPDATE OF j SKIP LOCKED
       ), taken AS (
         INSERT INTO job_leases AS l (job_id, owner, expires_at)
         SELECT id, $1, now() + make_interval(secs => $2::float8 / 1000) FROM free
         ON CONFLICT (job_id) DO UPDATE SET
           owner = EXCLUDED.owner,
           expires_at = EXCLUDED.expires_at,
           renewed_at = now(),
           acquired_at = CASE WHEN l.owner = EXCLUDED.owner THEN l.acquired_at ELSE now() END,
           generation = l.generation + CASE WHEN l.owner = EXCLUDED.owner THEN 0 ELSE 1 END
         WHERE l.owner = EXCLUDED.owner OR l.expires_at < now()
         RETURNING l.job_id, l.generation
       )
       SELECT t.job_id AS "jobId", t.generation, NULLIF(f.previous_owner, $1) AS "previousOwner"
       FROM taken t JOIN free f ON f.id = t.job_id`,
      [owner, leaseMs, limit, jobId ?? null],
    );
  }

  /**
   * Extends this owner's leases on `jobIds`; returns those still held on unfinished jobs. A job missing from the
   * answer was taken over (this owner's lease had expired) or has ended (cancelled through another replica).
   */
  async renew(owner: string, jobIds: readonly string[], leaseMs: number): Promise<string[]> {
    if (jobIds.length === 0) return [];
    const rows = await this.db.query<{ jobId: string }>(
      `UPDATE job_leases l SET expires_at = now() + make_interval(secs => $3::float8 / 1000), renewed_at = now()
       FROM jobs j
       WHERE l.job_id = j.id AND l.owner = $1 AND l.job_id = ANY($2::text[]) AND j.status IN ('pending', 'running')
       RETURNING l.job_id AS "jobId"`,
      [owner, jobIds, leaseMs],
    );
    return rows.map((r) => r.jobId);
  }

  /** Gives up this owner's lease on one job (it ended) or on all of them (shutdown): others may claim at once. */
  async release(owner: string, jobId?: string): Promise<void> {
    await this.db.query(`DELETE FROM job_leases WHERE owner = $1 AND ($2::text IS NULL OR job_id = $2)`, [
      owner,
      jobId ?? null,
    ]);
  }

  async get(jobId: string): Promise<LeaseRow | undefined> {
    const rows = await this.db.query<LeaseRow>(
      `SELECT job_id AS "jobId", owner, expires_at AS "expiresAt", generation FROM job_leases WHERE job_id = $1`,
      [jobId],
    );
    return rows[0];
  }
}

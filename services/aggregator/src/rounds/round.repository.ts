import { Inject, Injectable } from '@nestjs/common';
import type { Database, Queryable } from '@cohort/storage';
import type { Metrics } from '@cohort/protocol';
import { DATABASE } from '../database/database.providers.js';

export type RoundStatus = 'training' | 'evaluating' | 'completed' | 'failed';
export type UpdateStatus = 'pending' | 'accepted' | 'rejected' | 'missing';

export interface RoundRow {
  round: number;
  status: RoundStatus;
  startedAt: Date;
  closedAt: Date | null;
  durationMs: number | null;
  metrics: Metrics | null;
}

export interface RoundSiloRow {
  round: number;
  siloId: string;
  updateStatus: UpdateStatus;
  reason: string;
  exampleCount: number;
  trainMs: number;
  metrics: Metrics | null;
}

@Injectable()
export class RoundRepository {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  /** Starts (or restarts, after a crash) a round: its participants begin as pending. */
  async start(jobId: string, round: number, participants: string[]): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.query(`DELETE FROM round_silos WHERE job_id = $1 AND round = $2`, [jobId, round]);
      await tx.query(
        `INSERT INTO rounds (job_id, round, status) VALUES ($1, $2, 'training')
         ON CONFLICT (job_id, round) DO UPDATE SET status = 'training', started_at = now(), closed_at = NULL,
           duration_ms = NULL, metrics = NULL`,
        [jobId, round],
      );
      for (const siloId of participants) {
        await tx.query(
          `INSERT INTO round_silos (job_id, round, silo_id, update_status) VALUES ($1, $2, $3, 'pending')`,
          [jobId, round, siloId],
        );
      }
    });
  }

  async setUpdate(
    jobId: string,
    round: number,
    siloId: string,
    status: UpdateStatus,
    fields: { reason?: string; exampleCount?: number; trainMs?: number } = {},
  ): Promise<void> {
    await this.db.query(
      `INSERT INTO round_silos (job_id, round, silo_id, update_status, reason, example_count, train_ms)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (job_id, round, silo_id) DO UPDATE SET update_status = EXCLUDED.update_status,
         reason = EXCLUDED.reason, example_count = EXCLUDED.example_count, train_ms = EXCLUDED.train_ms`,
      [jobId, round, siloId, status, fields.reason ?? '', fields.exampleCount ?? 0, fields.trainMs ?? 0],
    );
  }

  /** Silos that never delivered are marked missing when the round closes. */
  async markMissing(jobId: string, round: number, tx: Queryable = this.db): Promise<void> {
    await tx.query(
      `UPDATE round_silos SET update_status = 'missing', reason = 'no update before the round closed'
       WHERE job_id = $1 AND round = $2 AND update_status = 'pending'`,
      [jobId, round],
    );
  }

  async setSiloMetrics(jobId: string, round: number, siloId: string, metrics: Metrics): Promise<void> {
    await this.db.query(
      `UPDATE round_silos SET metrics = $4 WHERE job_id = $1 AND round = $2 AND silo_id = $3`,
      [jobId, round, siloId, JSON.stringify(metrics)],
    );
  }

  async setStatus(jobId: string, round: number, status: RoundStatus, tx: Queryable = this.db): Promise<void> {
    await tx.query(`UPDATE rounds SET status = $3 WHERE job_id = $1 AND round = $2`, [jobId, round, status]);
  }

  async close(
    jobId: string,
    round: number,
    status: 'completed' | 'failed',
    durationMs: number,
    metrics: Metrics | null,
  ): Promise<void> {
    await this.db.query(
      `UPDATE rounds SET status = $3, closed_at = now(), duration_ms = $4, metrics = $5 WHERE job_id = $1 AND round = $2`,
      [jobId, round, status, Math.round(durationMs), metrics ? JSON.stringify(metrics) : null],
    );
  }

  async list(jobId: string): Promise<RoundRow[]> {
    return this.db.query<RoundRow>(
      `SELECT round, status, started_at AS "startedAt", closed_at AS "closedAt", duration_ms AS "durationMs", metrics
       FROM rounds WHERE job_id = $1 ORDER BY round`,
      [jobId],
    );
  }

  async listSilos(jobId: string): Promise<RoundSiloRow[]> {
    return this.db.query<RoundSiloRow>(
      `SELECT round, silo_id AS "siloId", update_status AS "updateStatus", reason, example_count AS "exampleCount",
         train_ms AS "trainMs", metrics
       FROM round_silos WHERE job_id = $1 ORDER BY round, silo_id`,
      [jobId],
    );
  }

  async lastCompletedRound(jobId: string): Promise<number> {
    const rows = await this.db.query<{ round: number | null }>(
      `SELECT max(round)::int AS round FROM rounds WHERE job_id = $1 AND status = 'completed'`,
      [jobId],
    );
    return rows[0]?.round ?? 0;
  }
}

import { Inject, Injectable } from '@nestjs/common';
import type { Database } from '@cohort/storage';
import type { Metrics } from '@cohort/protocol';

/** A silo's distance to the round's robust centre, as the enclave released it. */
export interface OutlierScore {
  distance: number;
  cosine: number;
  norm: number;
  flagged: boolean;
}
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
  epsilonSpent: number | null;
  lateUpdates: number;
}

export interface RoundSiloRow {
  round: number;
  siloId: string;
  updateStatus: UpdateStatus;
  reason: string;
  exampleCount: number;
  trainMs: number;
  metrics: Metrics | null;
  outlier: OutlierScore | null;
}

const MISSING_REASON = 'no update before the round closed';

@Injectable()
export class RoundRepository {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  /**
   * Starts (or restarts, after a crash) a round: its participants begin as pending. One statement, so atomic and
   * one round trip: this runs once per round on the aggregator's thread.
   */
  async start(jobId: string, round: number, participants: string[]): Promise<void> {
    await this.db.query(
      `WITH opened AS (
         INSERT INTO rounds (job_id, round, status) VALUES ($1, $2, 'training')
         ON CONFLICT (job_id, round) DO UPDATE SET status = 'training', started_at = now(), closed_at = NULL,
           duration_ms = NULL, metrics = NULL
       ), dropped AS (
         DELETE FROM round_silos WHERE job_id = $1 AND round = $2 AND silo_id <> ALL ($3::text[])
       ), pending AS (
         INSERT INTO round_silos (job_id, round, silo_id, update_status)
         SELECT $1, $2, silo, 'pending' FROM unnest($3::text[]) AS silo
         ON CONFLICT (job_id, round, silo_id) DO UPDATE SET update_status = 'pending', reason = '',
           example_count = 0, train_ms = 0, metrics = NULL, outlier = NULL
       )
       UPDATE jobs SET current_round = $2, updated_at = now() WHERE id = $1`,
      [jobId, round, participants],
    );
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
  async markMissing(jobId: string, round: number): Promise<void> {
    await this.db.query(
      `UPDATE round_silos SET update_status = 'missing', reason = '${MISSING_REASON}'
       WHERE job_id = $1 AND round = $2 AND update_status = 'pending'`,
      [jobId, round],
    );
  }

  /**
   * Records the outcome of a round's training phase atomically: whose updates were folded in, the new global
   * model, the server optimiser's state, the silos that never delivered, and the move to evaluation. A crash
   * leaves either all or none (and the round then reruns: the enclave's running sum does not survive it). One
   * statement, for the same reason as start().
   */
  async recordAggregate(
    jobId: string,
    round: number,
    model: { weights: Buffer; sha256: Buffer },
    optimizerState: Buffer,
    accepted: readonly { siloId: string; exampleCount: number; trainMs: number; outlier?: OutlierScore }[],
    privacy?: { state: unknown; epsilonSpent: number },
  ): Promise<void> {
    await this.db.query(
      `WITH accepted AS (
         UPDATE round_silos AS rs SET update_status = 'accepted', reason = '', example_count = a.example_count,
           train_ms = a.train_ms, outlier = a.outlier
         FROM (SELECT unnest($3::text[]) AS silo_id, unnest($4::int[]) AS example_count,
                      unnest($5::int[]) AS train_ms, unnest($6::text[])::jsonb AS outlier) AS a
         WHERE rs.job_id = $1 AND rs.round = $2 AND rs.silo_id = a.silo_id
       ), missing AS (
         UPDATE round_silos SET update_status = 'missing', reason = '${MISSING_REASON}'
         WHERE job_id = $1 AND round = $2 AND update_status = 'pending' AND silo_id <> ALL ($3::text[])
       ), model AS (
         INSERT INTO models (job_id, round, weights, sha256) VALUES ($1, $2, $7, $8)
         ON CONFLICT (job_id, round) DO UPDATE SET weights = EXCLUDED.weights, sha256 = EXCLUDED.sha256
       ), job AS (
         UPDATE jobs SET optimizer_state = $9, privacy_state = coalesce($10::jsonb, privacy_state) WHERE id = $1
       )
       UPDATE rounds SET status = 'evaluating', epsilon_spent = coalesce($11::double precision, epsilon_spent)
       WHERE job_id = $1 AND round = $2`,
      [
        jobId,
        round,
        accepted.map((a) => a.siloId),
        accepted.map((a) => a.exampleCount),
        accepted.map((a) => a.trainMs),
        accepted.map((a) => (a.outlier ? JSON.stringify(a.outlier) : null)),
        model.weights,
        model.sha256,
        optimizerState,
        privacy ? JSON.stringify(privacy.state) : null,
        privacy ? privacy.epsilonSpent : null,
      ],
    );
  }

  /** Closes a round with its aggregate and each silo's held-out metrics, in one statement. */
  async close(
    jobId: string,
    round: number,
    status: 'completed' | 'failed',
    durationMs: number,
    metrics: Metrics | null,
    siloMetrics: ReadonlyMap<string, Metrics> = new Map(),
  ): Promise<void> {
    await this.db.query(
      `WITH silos AS (
         UPDATE round_silos AS rs SET metrics = m.metrics
         FROM (SELECT unnest($6::text[]) AS silo_id, unnest($7::text[])::jsonb AS metrics) AS m
         WHERE rs.job_id = $1 AND rs.round = $2 AND rs.silo_id = m.silo_id
       )
       UPDATE rounds SET status = $3, closed_at = now(), duration_ms = $4, metrics = $5::jsonb
       WHERE job_id = $1 AND round = $2`,
      [
        jobId,
        round,
        status,
        Math.round(durationMs),
        metrics ? JSON.stringify(metrics) : null,
        [...siloMetrics.keys()],
        [...siloMetrics.values()].map((m) => JSON.stringify(m)),
      ],
    );
  }

  /**
   * One more update that came after the round had closed, from an authenticated silo: counted with the round,
   * and a participant the round closed without is shown as rejected for lateness instead of missing.
   */
  async countLate(jobId: string, round: number, siloId: string, reason: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.query(`UPDATE rounds SET late_updates = late_updates + 1 WHERE job_id = $1 AND round = $2`, [
        jobId,
        round,
      ]);
      await tx.query(
        `UPDATE round_silos SET update_status = 'rejected', reason = $4
         WHERE job_id = $1 AND round = $2 AND silo_id = $3 AND update_status IN ('pending', 'missing')`,
        [jobId, round, siloId, reason],
      );
    });
  }

  async list(jobId: string): Promise<RoundRow[]> {
    return this.db.query<RoundRow>(
      `SELECT round, status, started_at AS "startedAt", closed_at AS "closedAt", duration_ms AS "durationMs", metrics,
         epsilon_spent AS "epsilonSpent", late_updates AS "lateUpdates"
       FROM rounds WHERE job_id = $1 ORDER BY round`,
      [jobId],
    );
  }

  /** The accountant's cumulative ε after the job's last round that spent any; null for a job without DP. */
  async latestEpsilon(jobId: string): Promise<number | null> {
    const rows = await this.db.query<{ epsilon: number }>(
      `SELECT epsilon_spent AS epsilon FROM rounds WHERE job_id = $1 AND epsilon_spent IS NOT NULL
       ORDER BY round DESC LIMIT 1`,
      [jobId],
    );
    return rows[0]?.epsilon ?? null;
  }

  async listSilos(jobId: string): Promise<RoundSiloRow[]> {
    return this.db.query<RoundSiloRow>(
      `SELECT round, silo_id AS "siloId", update_status AS "updateStatus", reason, example_count AS "exampleCount",
         train_ms AS "trainMs", metrics, outlier
       FROM round_silos WHERE job_id = $1 ORDER BY round, silo_id`,
      [jobId],
    );
  }

  /** The last round whose global model was recorded: a restarted job goes on from there. */
  async lastAggregatedRound(jobId: string): Promise<number> {
    const rows = await this.db.query<{ round: number | null }>(
      `SELECT max(round)::int AS round FROM rounds WHERE job_id = $1 AND status IN ('evaluating', 'completed')`,
      [jobId],
    );
    return rows[0]?.round ?? 0;
  }

  /** Rounds whose metrics were still coming in when the aggregator stopped: closed without them. */
  async closeInterruptedEvaluations(jobId: string): Promise<void> {
    await this.db.query(
      `UPDATE rounds SET status = 'completed', closed_at = now() WHERE job_id = $1 AND status = 'evaluating'`,
      [jobId],
    );
  }
}

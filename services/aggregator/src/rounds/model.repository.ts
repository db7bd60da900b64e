import { Inject, Injectable } from '@nestjs/common';
import type { Database, Queryable } from '@cohort/storage';
import { DATABASE } from '../database/database.providers.js';

export interface StoredModel {
  round: number;
  weights: Buffer;
  sha256: Buffer;
}

/** Recent global models kept in memory: every silo asks for the same one each round. */
const CACHED_MODELS = 4;

@Injectable()
export class ModelRepository {
  // A committed round's model never changes (a round is rerun only if its model was never recorded), so a model
  // read once can serve every silo's GetModel without reading megabytes of bytea again.
  private readonly recent = new Map<string, StoredModel>();
  private readonly loading = new Map<string, Promise<StoredModel | undefined>>();

  constructor(@Inject(DATABASE) private readonly db: Database) {}

  async save(
    jobId: string,
    round: number,
    weights: Buffer,
    sha256: Buffer,
    tx: Queryable = this.db,
  ): Promise<void> {
    await tx.query(
      `INSERT INTO models (job_id, round, weights, sha256) VALUES ($1, $2, $3, $4)
       ON CONFLICT (job_id, round) DO UPDATE SET weights = EXCLUDED.weights, sha256 = EXCLUDED.sha256`,
      [jobId, round, weights, sha256],
    );
  }

  async get(jobId: string, round: number): Promise<StoredModel | undefined> {
    const key = `${jobId}#${round}`;
    const hit = this.recent.get(key);
    if (hit) return hit;
    // Every silo of a round asks at the same moment: one read serves them all, not one read per silo.
    const loading = this.loading.get(key);
    if (loading) return loading;
    const read = this.db
      .query<StoredModel>(`SELECT round, weights, sha256 FROM models WHERE job_id = $1 AND round = $2`, [
        jobId,
        round,
      ])
      .then((rows) => {
        if (rows[0]) this.keep(key, rows[0]);
        return rows[0];
      })
      .finally(() => this.loading.delete(key));
    this.loading.set(key, read);
    return read;
  }

  /** A model the caller has just made durable (a round's aggregate): served from memory from now on. */
  remember(jobId: string, model: StoredModel): void {
    this.keep(`${jobId}#${model.round}`, model);
  }

  private keep(key: string, model: StoredModel): void {
    this.recent.delete(key);
    this.recent.set(key, model);
    if (this.recent.size > CACHED_MODELS) this.recent.delete(this.recent.keys().next().value as string);
  }
}

import { Inject, Injectable } from '@nestjs/common';
import type { Database, Queryable } from '@cohort/storage';
import { DATABASE } from '../database/database.providers.js';

export interface StoredModel {
  round: number;
  weights: Buffer;
  sha256: Buffer;
}

@Injectable()
export class ModelRepository {
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
    const rows = await this.db.query<StoredModel>(
      `SELECT round, weights, sha256 FROM models WHERE job_id = $1 AND round = $2`,
      [jobId, round],
    );
    return rows[0];
  }
}

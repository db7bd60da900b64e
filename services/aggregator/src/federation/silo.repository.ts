import { Inject, Injectable } from '@nestjs/common';
import type { Database } from '@cohort/storage';
import { DATABASE } from '../database/database.providers.js';

export interface SiloRow {
  siloId: string;
  datasetIds: string[];
  lastSeen: Date;
}

@Injectable()
export class SiloRepository {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  async touch(siloId: string, datasetIds: string[]): Promise<void> {
    await this.db.query(
      `INSERT INTO silos (silo_id, dataset_ids) VALUES ($1, $2)
       ON CONFLICT (silo_id) DO UPDATE SET dataset_ids = EXCLUDED.dataset_ids, last_seen = now()`,
      [siloId, JSON.stringify(datasetIds)],
    );
  }

  async list(): Promise<SiloRow[]> {
    return this.db.query<SiloRow>(
      `SELECT silo_id AS "siloId", dataset_ids AS "datasetIds", last_seen AS "lastSeen" FROM silos ORDER BY silo_id`,
    );
  }
}

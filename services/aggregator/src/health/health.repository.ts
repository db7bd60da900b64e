import { Inject, Injectable } from '@nestjs/common';
import { pendingMigrations, type Database } from '@cohort/storage';
import { DATABASE, MIGRATIONS_DIR } from '../database/database.providers.js';

/** The two questions readiness asks the database: does it answer, and is its schema this code's. */
@Injectable()
export class HealthRepository {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  async ping(): Promise<void> {
    await this.db.query('SELECT 1');
  }

  pendingMigrations(): Promise<string[]> {
    return pendingMigrations(this.db, MIGRATIONS_DIR);
  }
}

import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { openDatabase, migrate, type Database } from '@cohort/storage';
import type { AggregatorConfig } from '../config.js';

export const DATABASE = Symbol('DATABASE');

// Migrations ship next to the sources; the build keeps services/aggregator/migrations in place.
const here = dirname(fileURLToPath(import.meta.url));
const serviceRoot = here.includes(join('dist', 'services'))
  ? join(here, '../../../../../services/aggregator')
  : join(here, '../..');
export const MIGRATIONS_DIR = join(serviceRoot, 'migrations');

export async function openAggregatorDatabase(config: AggregatorConfig): Promise<Database> {
  const db = await openDatabase(
    config.databaseUrl
      ? { url: config.databaseUrl, maxConnections: config.databasePoolSize }
      : { dataDir: config.dataDir },
  );
  await migrate(db, MIGRATIONS_DIR);
  return db;
}

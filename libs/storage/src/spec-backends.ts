// Test support: the backends every storage behaviour is checked on. PGlite always; PostgreSQL when a
// Docker engine or TEST_DATABASE_URL provides one.
import { readEnvironment } from '@cohort/config';
import { openDatabase } from './database.js';
import { isDockerAvailable, openTestDatabase, type TestDatabase } from './test-database.js';

export interface Backend {
  name: 'pglite' | 'postgres';
  open(): Promise<TestDatabase>;
}

export async function storageBackends(): Promise<Backend[]> {
  const backends: Backend[] = [
    {
      name: 'pglite',
      open: async () => {
        const db = await openDatabase({});
        return { db, description: db.description ?? 'PGlite', close: () => db.close() };
      },
    },
  ];
  if (readEnvironment().testDatabaseUrl !== undefined || (await isDockerAvailable())) {
    backends.push({
      name: 'postgres',
      open: async () => {
        const t = await openTestDatabase();
        // Guards against a silent fallback making the "postgres" run a second PGlite run.
        if (t.db.kind !== 'postgres') throw new Error(`expected PostgreSQL, got ${t.description}`);
        return t;
      },
    });
  }
  return backends;
}

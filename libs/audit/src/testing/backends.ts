// The databases audit storage is tested on: PGlite always; PostgreSQL too when a Docker engine or
// TEST_DATABASE_URL provides one (as libs/storage's own tests do).
import { isDockerAvailable, openDatabase, openTestDatabase, type TestDatabase } from '@cohort/storage';

export interface Backend {
  name: 'pglite' | 'postgres';
  open(): Promise<TestDatabase>;
}

export async function auditBackends(): Promise<Backend[]> {
  const backends: Backend[] = [
    {
      name: 'pglite',
      open: async () => {
        const db = await openDatabase({});
        return { db, description: db.description ?? 'PGlite', close: () => db.close() };
      },
    },
  ];
  if (process.env.TEST_DATABASE_URL || (await isDockerAvailable())) {
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

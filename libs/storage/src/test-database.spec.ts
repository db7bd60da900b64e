import { readEnvironment } from '@cohort/config';
import pg from 'pg';
import { isDockerAvailable, openTestDatabase } from './test-database.js';

describe('openTestDatabase', () => {
  it('answers whether Docker runs within about a second, even with no engine', async () => {
    const started = Date.now();
    expect(typeof (await isDockerAvailable(1000))).toBe('boolean');
    // The probe is bounded by its 1 s timeout; loading testcontainers the first time adds a few seconds on a
    // loaded CI machine. What must not happen is waiting on Docker's own, much longer, connection timeouts.
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('opens an empty, working database and says which kind it is', async () => {
    const docker = await isDockerAvailable();
    const { testDatabaseUrl } = readEnvironment();
    const t = await openTestDatabase();
    try {
      if (docker) expect(t.description).toContain('testcontainers');
      else if (testDatabaseUrl)
        expect(t.description).toMatch(
          /^PostgreSQL at .*\/cohort_test_\d+_[0-9a-f]{8} \(TEST_DATABASE_URL\)$/,
        );
      else expect(t.description).toMatch(/^PGlite in memory/);
      expect(t.db.kind).toBe(docker || testDatabaseUrl ? 'postgres' : 'pglite');
      expect(
        await t.db.query("SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = 'public'"),
      ).toEqual([{ n: 0 }]);
    } finally {
      await t.close();
    }
  });

  const { testDatabaseUrl } = readEnvironment();
  (testDatabaseUrl ? it : it.skip)(
    'gives each call its own database on TEST_DATABASE_URL and drops it on close',
    async () => {
      const [a, b] = await Promise.all([openTestDatabase(), openTestDatabase()]);
      const names: string[] = [];
      try {
        for (const t of [a, b])
          names.push((await t.db.query<{ d: string }>('SELECT current_database() AS d'))[0].d);
        expect(names[0]).not.toBe(names[1]);
        await a.db.query('CREATE TABLE only_in_a (x int)');
        expect(await b.db.query("SELECT to_regclass('only_in_a') AS t")).toEqual([{ t: null }]);
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
      const admin = new pg.Client({ connectionString: testDatabaseUrl });
      await admin.connect();
      try {
        const left = await admin.query('SELECT datname FROM pg_database WHERE datname = ANY($1)', [names]);
        expect(left.rows).toEqual([]);
      } finally {
        await admin.end();
      }
    },
  );
});

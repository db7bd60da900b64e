import { mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type Database } from './database.js';
import { migrate, pendingMigrations } from './migrate.js';
import { storageBackends } from './spec-backends.js';
import type { TestDatabase } from './test-database.js';

const backends = await storageBackends();

const AUDIT = `
CREATE TABLE audit_log (seq int PRIMARY KEY, entry text NOT NULL);
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = 'restrict_violation';
END
$$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
`;
// Depends on 0001, so running the files out of order would fail.
const SEED = "INSERT INTO audit_log VALUES (1, 'genesis');\n";
// sha256 of these 10 bytes, from `printf 'SELECT 1;\\n' | sha256sum`.
const SELECT_ONE = 'SELECT 1;\n';
const SELECT_ONE_SHA256 = 'b4e0497804e46e0a0b0b8c31975b062152d551bac49c3c2e80932567b4085dcd';

async function failure(p: Promise<unknown>): Promise<{ code?: string; message: string }> {
  try {
    await p;
  } catch (err) {
    return err as { code?: string; message: string };
  }
  throw new Error('expected a failure');
}

describe.each(backends)('migrate on $name', ({ name, open }) => {
  let t: TestDatabase;
  let db: Database;
  let dir: string;
  const put = (file: string, sql: string) => writeFile(join(dir, file), sql);
  const recorded = async () =>
    (await db.query<{ name: string }>('SELECT name FROM schema_migrations ORDER BY name')).map((r) => r.name);

  beforeAll(async () => {
    t = await open();
    db = t.db;
  });
  afterAll(async () => {
    await t?.close();
  });
  beforeEach(async () => {
    await db.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public');
    dir = await mkdtemp(join(tmpdir(), 'cohort-migrations-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('applies files in order, once, recording name, checksum and time', async () => {
    await put('0002_seed.sql', SEED);
    await put('0001_audit.sql', AUDIT);
    await put('0003_noop.sql', SELECT_ONE);
    await put('README.md', 'not a migration');
    const before = Date.now();
    expect(await migrate(db, dir)).toEqual(['0001_audit.sql', '0002_seed.sql', '0003_noop.sql']);
    expect(await migrate(db, dir)).toEqual([]);
    expect(await db.query('SELECT seq, entry FROM audit_log')).toEqual([{ seq: 1, entry: 'genesis' }]);
    const [row] = await db.query<{ checksum: string; applied_at: Date }>(
      "SELECT checksum, applied_at FROM schema_migrations WHERE name = '0003_noop.sql'",
    );
    expect(row.checksum).toBe(SELECT_ONE_SHA256);
    expect(row.applied_at).toBeInstanceOf(Date);
    expect(row.applied_at.getTime()).toBeGreaterThan(before - 60_000);
  });

  it('installs a trigger that keeps the audit log append-only', async () => {
    await put('0001_audit.sql', AUDIT);
    await put('0002_seed.sql', SEED);
    await migrate(db, dir);
    await db.query("INSERT INTO audit_log VALUES (2, 'second')");
    for (const sql of [
      "UPDATE audit_log SET entry = 'forged' WHERE seq = 1",
      'DELETE FROM audit_log',
      'TRUNCATE audit_log',
    ]) {
      const err = await failure(db.query(sql));
      expect(err.code).toBe('23001');
      expect(err.message).toMatch(/audit_log is append-only: (UPDATE|DELETE|TRUNCATE) refused/);
    }
    expect(await db.query('SELECT entry FROM audit_log ORDER BY seq')).toEqual([
      { entry: 'genesis' },
      { entry: 'second' },
    ]);
  });

  it('applies only the files added since the last run', async () => {
    await put('0001_audit.sql', AUDIT);
    expect(await migrate(db, dir)).toEqual(['0001_audit.sql']);
    await put('0002_seed.sql', SEED);
    expect(await migrate(db, dir)).toEqual(['0002_seed.sql']);
  });

  it('names the files not yet applied, for a readiness probe', async () => {
    await put('0001_audit.sql', AUDIT);
    await migrate(db, dir);
    expect(await pendingMigrations(db, dir)).toEqual([]);
    await put('0003_noop.sql', SELECT_ONE);
    await put('0002_seed.sql', SEED);
    expect(await pendingMigrations(db, dir)).toEqual(['0002_seed.sql', '0003_noop.sql']);
    await migrate(db, dir);
    expect(await pendingMigrations(db, dir)).toEqual([]);
  });

  it('reports a database never migrated as an error, not as up to date', async () => {
    await put('0001_audit.sql', AUDIT);
    expect((await failure(pendingMigrations(db, dir))).message).toMatch(/schema_migrations/);
  });

  it('refuses to run when an applied file changed, but not for CRLF line endings', async () => {
    await put('0001_audit.sql', AUDIT);
    await migrate(db, dir);
    await put('0001_audit.sql', AUDIT.replace(/\n/g, '\r\n'));
    expect(await migrate(db, dir)).toEqual([]);
    await put('0001_audit.sql', AUDIT + '\n-- an afterthought\n');
    await put('0002_seed.sql', SEED);
    const err = await failure(migrate(db, dir));
    expect(err.code).toBe('MIGRATION_CHANGED');
    expect(err.message).toContain('migration 0001_audit.sql was changed after it was applied');
    // Nothing after the changed file ran.
    expect(await recorded()).toEqual(['0001_audit.sql']);
  });

  it('refuses to run when an applied file is missing', async () => {
    await put('0001_audit.sql', AUDIT);
    await migrate(db, dir);
    await unlink(join(dir, '0001_audit.sql'));
    expect((await failure(migrate(db, dir))).code).toBe('MIGRATION_MISSING');
  });

  it('rolls a failing migration back completely and keeps the ones before it', async () => {
    await put('0001_audit.sql', AUDIT);
    await put('0002_broken.sql', 'CREATE TABLE half_done (x int);\nSELECT * FROM no_such_table;\n');
    const err = await failure(migrate(db, dir));
    expect(err.code).toBe('MIGRATION_FAILED');
    expect(err.message).toMatch(
      /^migration 0002_broken\.sql failed and was rolled back: .*no_such_table.*\(SQLSTATE 42P01\)$/,
    );
    expect(await recorded()).toEqual(['0001_audit.sql']);
    expect(await db.query("SELECT to_regclass('half_done') AS t")).toEqual([{ t: null }]);
    await put('0002_broken.sql', 'CREATE TABLE half_done (x int);\n');
    expect(await migrate(db, dir)).toEqual(['0002_broken.sql']);
  });

  it('refuses badly named or duplicate-numbered files', async () => {
    await put('1_init.sql', SELECT_ONE);
    expect((await failure(migrate(db, dir))).code).toBe('MIGRATION_INVALID');
    await unlink(join(dir, '1_init.sql'));
    await put('0001_a.sql', SELECT_ONE);
    await put('0001_b.sql', SELECT_ONE);
    const err = await failure(migrate(db, dir));
    expect(err.code).toBe('MIGRATION_INVALID');
    expect(err.message).toBe('migrations 0001_a.sql and 0001_b.sql share the number 0001');
  });

  it('applies each file once when two processes migrate at the same moment', async () => {
    // The sleep holds the lock long enough that the second migrator has to wait for the first.
    await put('0001_audit.sql', `SELECT pg_sleep(0.2);\n${AUDIT}`);
    await put('0002_seed.sql', SEED);
    await put('0003_noop.sql', SELECT_ONE);
    // On PostgreSQL the second migrator is a separate pool, as a second replica would be; PGlite has one.
    const other = name === 'postgres' ? await openDatabase({ url: t.url }) : db;
    try {
      const [a, b] = await Promise.all([migrate(db, dir), migrate(other, dir)]);
      expect([...a, ...b].sort()).toEqual(['0001_audit.sql', '0002_seed.sql', '0003_noop.sql']);
      expect(await recorded()).toEqual(['0001_audit.sql', '0002_seed.sql', '0003_noop.sql']);
      expect(await db.query('SELECT count(*) AS n FROM audit_log')).toEqual([{ n: 1 }]);
    } finally {
      if (other !== db) await other.close();
    }
  });
});

// Plain-SQL migrations, applied in order at start, each in its own transaction and recorded with a checksum.
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Database, Queryable } from './database.js';
import { StorageError } from './errors.js';

/** Migration files are NNNN_name.sql; the number fixes the order. */
export const MIGRATION_FILE_PATTERN = /^(\d{4})_[A-Za-z0-9_-]+\.sql$/;

/**
 * Arbitrary but fixed: every Cohort process migrating the same database takes this transaction-level
 * advisory lock, so two replicas starting together apply each migration once, one after the other.
 */
export const MIGRATION_LOCK_KEY = 4_207_316_925_481_337;

interface MigrationFile {
  name: string;
  sql: string;
  checksum: string;
}

// Checksums ignore CRLF versus LF, so a Windows checkout of the same file does not count as changed.
function checksumOf(sql: string): string {
  return createHash('sha256').update(sql.replace(/\r\n/g, '\n')).digest('hex');
}

async function readMigrations(dir: string): Promise<MigrationFile[]> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (err) {
    throw new StorageError(
      'MIGRATION_INVALID',
      `cannot read the migrations folder ${dir}: ${(err as Error).message}`,
    );
  }
  const names = entries.filter((n) => n.endsWith('.sql')).sort();
  const seen = new Map<string, string>();
  for (const name of names) {
    const match = MIGRATION_FILE_PATTERN.exec(name);
    if (!match) {
      throw new StorageError(
        'MIGRATION_INVALID',
        `migration file ${join(dir, name)} is not named NNNN_name.sql (four digits, then letters, digits, _ or -)`,
      );
    }
    const clash = seen.get(match[1]);
    if (clash)
      throw new StorageError(
        'MIGRATION_INVALID',
        `migrations ${clash} and ${name} share the number ${match[1]}`,
      );
    seen.set(match[1], name);
  }
  return Promise.all(
    names.map(async (name) => {
      const sql = await readFile(join(dir, name), 'utf8');
      return { name, sql, checksum: checksumOf(sql) };
    }),
  );
}

async function lockAndReadApplied(tx: Queryable): Promise<Map<string, string>> {
  await tx.query('SELECT pg_advisory_xact_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
  // Created under the lock, so concurrent first starts cannot race on CREATE TABLE.
  await tx.query(
    `CREATE TABLE IF NOT EXISTS schema_migrations (
       name text PRIMARY KEY,
       checksum text NOT NULL,
       applied_at timestamptz NOT NULL DEFAULT now()
     )`,
  );
  const rows = await tx.query<{ name: string; checksum: string }>(
    'SELECT name, checksum FROM schema_migrations',
  );
  return new Map(rows.map((r) => [r.name, r.checksum]));
}

function checkApplied(applied: Map<string, string>, files: MigrationFile[], dir: string): void {
  const byName = new Map(files.map((f) => [f.name, f]));
  for (const [name, checksum] of applied) {
    const file = byName.get(name);
    if (!file) {
      throw new StorageError(
        'MIGRATION_MISSING',
        `the database has migration ${name} applied but ${dir} has no such file; is this an older Cohort than the one that migrated it?`,
      );
    }
    if (file.checksum !== checksum) {
      throw new StorageError(
        'MIGRATION_CHANGED',
        `migration ${name} was changed after it was applied (checksum ${checksum.slice(0, 12)}… in the database, ` +
          `${file.checksum.slice(0, 12)}… on disk); restore the file and put the change in a new migration`,
      );
    }
  }
}

/**
 * Applies the NNNN_name.sql files of `migrationsDir` not yet recorded in schema_migrations, in order, each in
 * its own transaction (a file must not contain BEGIN/COMMIT or statements that cannot run in a transaction,
 * such as CREATE INDEX CONCURRENTLY). Returns the names applied by this call. Refuses to run when an applied
 * file has changed or disappeared. Safe for several processes at once on PostgreSQL: each transaction holds
 * an advisory lock and re-reads what is applied.
 */
export async function migrate(db: Database, migrationsDir: string): Promise<string[]> {
  const dir = resolve(migrationsDir);
  const files = await readMigrations(dir);
  const applied = await db.transaction(async (tx) => {
    const rows = await lockAndReadApplied(tx);
    checkApplied(rows, files, dir);
    return rows;
  });
  const appliedNow: string[] = [];
  for (const file of files) {
    if (applied.has(file.name)) continue;
    const ran = await db.transaction(async (tx) => {
      // Another process may have applied it since we looked; the lock makes this check authoritative.
      const current = await lockAndReadApplied(tx);
      if (current.has(file.name)) {
        checkApplied(new Map([[file.name, current.get(file.name)!]]), [file], dir);
        return false;
      }
      try {
        await tx.query(file.sql);
      } catch (err) {
        const e = err as Error & { code?: string };
        throw new StorageError(
          'MIGRATION_FAILED',
          `migration ${file.name} failed and was rolled back: ${e.message}${e.code ? ` (SQLSTATE ${e.code})` : ''}`,
          { cause: err },
        );
      }
      await tx.query('INSERT INTO schema_migrations (name, checksum) VALUES ($1, $2)', [
        file.name,
        file.checksum,
      ]);
      return true;
    });
    if (ran) appliedNow.push(file.name);
  }
  return appliedNow;
}

/**
 * The files of `migrationsDir` the database has not recorded as applied, in order; empty when it is up to date.
 * Read-only and lock-free, for readiness probes (a process must not serve a schema older than its code).
 */
export async function pendingMigrations(db: Queryable, migrationsDir: string): Promise<string[]> {
  const files = await readMigrations(resolve(migrationsDir));
  const rows = await db.query<{ name: string }>('SELECT name FROM schema_migrations');
  const applied = new Set(rows.map((r) => r.name));
  return files.map((f) => f.name).filter((name) => !applied.has(name));
}

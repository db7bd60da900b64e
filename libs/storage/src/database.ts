// The one way Cohort reaches PostgreSQL: a server through node-postgres, or embedded PGlite, with the same
// value types from both (see DESIGN.md, "State").
import { openPgliteDatabase } from './pglite-database.js';
import { openPostgresDatabase } from './postgres-database.js';

/**
 * Runs SQL. Value types are the same on PGlite and PostgreSQL:
 * - int2/int4/float4/float8 → number; int8 (bigint, count(*), sum(int)) → number, and a value beyond
 *   ±(2^53 − 1) throws INT8_OUT_OF_RANGE (cast to text to read it); numeric → string. Casting in SQL
 *   (`count(*)::int`, `x::float8`) keeps intent visible and is encouraged.
 * - bytea → Buffer; timestamptz → Date; json/jsonb → parsed value; boolean → boolean; uuid/text → string.
 * - date, timestamp (without time zone) and interval → the PostgreSQL text form, since turning them into
 *   Dates depends on the process time zone; use timestamptz for instants.
 * Parameters: pass bytea as Buffer/Uint8Array, instants as Date, JSON as a string (`JSON.stringify(v)`
 * with `$1::jsonb`); a JS array is sent as a PostgreSQL array.
 * A query without parameters may hold several statements (a script, run with the simple protocol); the rows
 * of the last one are returned. With parameters it must be one statement.
 * SQL errors are the driver's DatabaseError, with the SQLSTATE in `.code` on both.
 */
export interface Queryable {
  query<T extends object = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
}

export interface Database extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  /**
   * Where the data lives, without credentials ("PGlite in /path", "PGlite in memory",
   * "PostgreSQL at postgres://user@host:5432/db"); always set by openDatabase, optional for test doubles.
   */
  readonly description?: string;
  /**
   * Runs fn in one transaction: COMMIT when it resolves, ROLLBACK when it throws (the error is rethrown).
   * Use only `tx` inside fn: calling this database's own query/transaction there throws TRANSACTION_MISUSE.
   * If a statement failed inside fn and fn swallowed the error, the commit throws TRANSACTION_ABORTED
   * instead of reporting success. On PGlite transactions and queries run one at a time, so a query issued
   * elsewhere while a transaction runs waits for it; on PostgreSQL they run side by side.
   */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Closes the pool or the embedded database (flushing it to its folder); safe to call twice. */
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** A PostgreSQL URL; when set, dataDir is ignored. */
  url?: string;
  /** PGlite's folder, created if missing; without it and without url, PGlite keeps everything in memory. */
  dataDir?: string;
  /** Pool size for PostgreSQL (default 4). */
  maxConnections?: number;
  /**
   * Errors on idle pooled connections (a server restart, say). They are not tied to any query, so without a
   * handler they are dropped (the pool replaces the connection and the next query reports any lasting fault).
   */
  onBackgroundError?: (err: Error) => void;
}

/** Opens PostgreSQL when `url` is given, otherwise PGlite in `dataDir` or in memory. */
export async function openDatabase(opts: OpenDatabaseOptions = {}): Promise<Database> {
  if (opts.url) return openPostgresDatabase(opts.url, opts);
  return openPgliteDatabase(opts.dataDir);
}

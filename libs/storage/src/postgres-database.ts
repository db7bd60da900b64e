// Database over a node-postgres Pool: a small pool, each transaction pinned to one client.
import pg from 'pg';
import type { Database, OpenDatabaseOptions, Queryable } from './database.js';
import { describeDatabaseUrl, redactPassword } from './database-url.js';
import { assertDatabaseOpen, StorageError } from './errors.js';
import { assertNotInTransactionOf, runInTransactionScope } from './transaction-scope.js';
import { pgGetTypeParser } from './type-parsers.js';

type Runner = Pick<pg.Pool, 'query'> | Pick<pg.PoolClient, 'query'>;

async function run<T extends object>(runner: Runner, sql: string, params?: unknown[]): Promise<T[]> {
  // Without values node-postgres uses the simple protocol, which allows a multi-statement script and then
  // answers with one result per statement; PGlite's exec behaves the same, so both return the last rows.
  const result = (await (params && params.length > 0 ? runner.query(sql, params) : runner.query(sql))) as
    pg.QueryResult | pg.QueryResult[];
  const last = Array.isArray(result) ? result[result.length - 1] : result;
  return (last?.rows ?? []) as T[];
}

class PostgresDatabase implements Database {
  readonly kind = 'postgres';
  readonly description: string;
  private closed = false;

  constructor(
    private readonly pool: pg.Pool,
    where: string,
  ) {
    this.description = `PostgreSQL at ${where}`;
  }

  private assertOpen(): void {
    assertDatabaseOpen(this.closed, this.description);
  }

  async query<T extends object = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]> {
    this.assertOpen();
    assertNotInTransactionOf(this, 'db.query()');
    return run<T>(this.pool, sql, params);
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    this.assertOpen();
    assertNotInTransactionOf(this, 'db.transaction()');
    const client = await this.pool.connect();
    let finished = false;
    const tx: Queryable = {
      query: async <R extends object = Record<string, unknown>>(sql: string, params?: unknown[]) => {
        // After release the client serves other callers; a late tx.query must not land in their session.
        if (finished)
          throw new StorageError('TRANSACTION_MISUSE', 'tx.query() was called after its transaction ended');
        return run<R>(client, sql, params);
      },
    };
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await runInTransactionScope(this, () => fn(tx));
      const commit = await client.query('COMMIT');
      // PostgreSQL answers COMMIT of a failed transaction with "ROLLBACK" rather than an error.
      if (commit.command === 'ROLLBACK') {
        throw new StorageError(
          'TRANSACTION_ABORTED',
          'the transaction was rolled back at COMMIT because a statement inside it failed',
        );
      }
      return result;
    } catch (err) {
      try {
        await client.query('ROLLBACK');
      } catch (rollbackError) {
        // The connection itself failed; destroy it rather than return it to the pool.
        broken = rollbackError as Error;
      }
      throw err;
    } finally {
      finished = true;
      client.release(broken);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}

export async function openPostgresDatabase(url: string, opts: OpenDatabaseOptions): Promise<Database> {
  const where = describeDatabaseUrl(url);
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.maxConnections ?? 4,
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
    application_name: 'cohort',
    types: { getTypeParser: pgGetTypeParser },
  });
  // An idle client's error is emitted on the pool; unhandled, it would crash the process.
  pool.on('error', (err) => opts.onBackgroundError?.(err));
  try {
    const client = await pool.connect();
    client.release();
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw new StorageError(
      'CONNECTION_FAILED',
      `cannot connect to PostgreSQL at ${where}: ${redactPassword((err as Error).message, url)}`,
    );
  }
  return new PostgresDatabase(pool, where);
}

// Database over embedded PGlite (PostgreSQL compiled to WASM), in a folder or in memory.
import { PGlite, TransactionAbortedError, type Transaction } from '@electric-sql/pglite';
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { acquireDataDirLock } from './data-dir-lock.js';
import type { Database, Queryable } from './database.js';
import { StorageError } from './errors.js';
import { assertNotInTransactionOf, runInTransactionScope } from './transaction-scope.js';
import { pgliteParsers } from './type-parsers.js';

type Runner = Pick<PGlite, 'query' | 'exec'> | Pick<Transaction, 'query' | 'exec'>;

async function run<T extends object>(runner: Runner, sql: string, params?: unknown[]): Promise<T[]> {
  if (params && params.length > 0) return (await runner.query<T>(sql, params)).rows;
  // exec uses the simple protocol, so a parameterless script may hold several statements, as on pg.
  const results = await runner.exec(sql);
  return (results[results.length - 1]?.rows ?? []) as T[];
}

class PgliteDatabase implements Database {
  readonly kind = 'pglite';
  private closed = false;

  constructor(
    private readonly pglite: PGlite,
    readonly description: string,
    private readonly releaseLock: () => Promise<void>,
  ) {}

  private assertOpen(): void {
    if (this.closed)
      throw new StorageError('DATABASE_CLOSED', `the database (${this.description}) is closed`);
  }

  // PGlite itself queues a query behind a running transaction, so a caller outside the transaction is safe.
  async query<T extends object = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]> {
    this.assertOpen();
    assertNotInTransactionOf(this, 'db.query()');
    return run<T>(this.pglite, sql, params);
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    this.assertOpen();
    assertNotInTransactionOf(this, 'db.transaction()');
    try {
      return await this.pglite.transaction(async (ptx) => {
        let finished = false;
        const tx: Queryable = {
          query: async <R extends object = Record<string, unknown>>(sql: string, params?: unknown[]) => {
            if (finished) {
              throw new StorageError(
                'TRANSACTION_MISUSE',
                'tx.query() was called after its transaction ended',
              );
            }
            return run<R>(ptx, sql, params);
          },
        };
        try {
          return await runInTransactionScope(this, () => fn(tx));
        } finally {
          finished = true;
        }
      });
    } catch (err) {
      if (err instanceof TransactionAbortedError) {
        throw new StorageError(
          'TRANSACTION_ABORTED',
          'the transaction was rolled back at COMMIT because a statement inside it failed',
          { cause: err },
        );
      }
      throw err;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.pglite.close();
    } finally {
      await this.releaseLock();
    }
  }
}

export async function openPgliteDatabase(dataDir: string | undefined): Promise<Database> {
  if (dataDir === undefined) {
    const pglite = await PGlite.create({ parsers: pgliteParsers });
    return new PgliteDatabase(pglite, 'PGlite in memory', () => Promise.resolve());
  }
  const dir = resolve(dataDir);
  try {
    await mkdir(dir, { recursive: true });
  } catch (err) {
    throw new StorageError(
      'CONNECTION_FAILED',
      `cannot create the database folder ${dir}: ${(err as Error).message}`,
    );
  }
  const releaseLock = await acquireDataDirLock(dir);
  try {
    const pglite = await PGlite.create({ dataDir: dir, parsers: pgliteParsers });
    return new PgliteDatabase(pglite, `PGlite in ${dir}`, releaseLock);
  } catch (err) {
    await releaseLock();
    throw new StorageError(
      'CONNECTION_FAILED',
      `cannot open the embedded database in ${dir}: ${(err as Error).message}`,
      { cause: err },
    );
  }
}

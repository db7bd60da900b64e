// Database over embedded PGlite (PostgreSQL compiled to WASM), in a folder or in memory, on a worker thread of its
// own when the compiled worker is there (pglite-worker-database.ts), otherwise on the calling thread.
import { PGlite, TransactionAbortedError } from '@electric-sql/pglite';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import { acquireDataDirLock } from './data-dir-lock.js';
import type { Database, Queryable } from './database.js';
import { assertDatabaseOpen, StorageError } from './errors.js';
import { assertNotInTransactionOf, runInTransactionScope } from './transaction-scope.js';
import { pgliteParsers } from './type-parsers.js';
import { runPglite as run } from './pglite-run.js';
import { openPgliteWorker } from './pglite-worker-database.js';

class PgliteDatabase implements Database {
  readonly kind = 'pglite';
  private closed = false;

  constructor(
    private readonly pglite: PGlite,
    readonly description: string,
    private readonly releaseLock: () => Promise<void>,
  ) {}

  private assertOpen(): void {
    assertDatabaseOpen(this.closed, this.description);
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

/**
 * The compiled worker beside this module. Running from the TypeScript sources (ts-jest) there is none, and PGlite
 * stays on the calling thread; pglite-worker.spec.ts compiles it to check the worker on the same contract.
 */
function compiledWorker(): URL | undefined {
  const url = new URL('./pglite-worker.js', import.meta.url);
  return import.meta.url.endsWith('.js') && existsSync(fileURLToPath(url)) ? url : undefined;
}

async function openPglite(
  dataDir: string | undefined,
  description: string,
  releaseLock: () => Promise<void>,
  workerUrl: URL | undefined,
): Promise<Database> {
  if (workerUrl) return openPgliteWorker(workerUrl, dataDir, description, releaseLock);
  const pglite = await PGlite.create({
    ...(dataDir === undefined ? {} : { dataDir }),
    parsers: pgliteParsers,
  });
  return new PgliteDatabase(pglite, description, releaseLock);
}

/** PGlite in `dataDir` (in memory without one), on a worker thread of its own when `workerUrl` is given. */
export async function openPgliteDatabase(
  dataDir: string | undefined,
  workerUrl: URL | undefined = compiledWorker(),
): Promise<Database> {
  if (dataDir === undefined) {
    return openPglite(undefined, 'PGlite in memory', () => Promise.resolve(), workerUrl);
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
    return await openPglite(dir, `PGlite in ${dir}`, releaseLock, workerUrl);
  } catch (err) {
    await releaseLock();
    throw new StorageError(
      'CONNECTION_FAILED',
      `cannot open the embedded database in ${dir}: ${(err as Error).message}`,
      { cause: err },
    );
  }
}

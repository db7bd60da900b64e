// Database over PGlite running on a worker thread (pglite-worker.ts): the same behaviour as in-thread PGlite
// (one statement at a time, transactions exclusive, the same value types), without its statements holding the
// service's event loop.
import { Worker } from 'node:worker_threads';
import type { Database, Queryable } from './database.js';
import { assertDatabaseOpen, StorageError, type StorageErrorCode } from './errors.js';
import type { PgliteReply, PgliteRequest, SerializedError } from './pglite-worker-protocol.js';
import { assertNotInTransactionOf, runInTransactionScope } from './transaction-scope.js';

type Pending = { resolve: (rows: unknown[]) => void; reject: (err: Error) => void };
type Request = PgliteRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

/** The worker's error as the service sees it: a StorageError keeps its class, a SQL error its SQLSTATE `code`. */
function revive(e: SerializedError): Error {
  if (e.name === 'StorageError') {
    return new StorageError(e.fields.code as StorageErrorCode, e.message);
  }
  if (e.name === 'TransactionAbortedError') {
    return new StorageError(
      'TRANSACTION_ABORTED',
      'the transaction was rolled back at COMMIT because a statement inside it failed',
    );
  }
  const err = new Error(e.message);
  Object.assign(err, e.fields);
  err.name = e.name;
  return err;
}

/**
 * Values as in-thread PGlite gives them. Cloning turns the Buffers of bytea values into plain Uint8Arrays (callers
 * get Buffers, as from pg), and makes Dates in the receiving context's main realm, which is not the caller's
 * under a VM sandbox such as jest's (checked by tag, not instanceof, for that reason).
 */
function revived(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map(revived);
  const tag = Object.prototype.toString.call(value);
  if (tag === '[object Uint8Array]') {
    const u = value as Uint8Array;
    return Buffer.from(u.buffer, u.byteOffset, u.byteLength);
  }
  if (tag === '[object Date]') return new Date((value as Date).getTime());
  return value;
}

function revivedRows(rows: unknown[]): unknown[] {
  for (const row of rows) {
    if (typeof row !== 'object' || row === null) continue;
    const r = row as Record<string, unknown>;
    for (const k of Object.keys(r)) r[k] = revived(r[k]);
  }
  return rows;
}

class PgliteWorkerDatabase implements Database {
  readonly kind = 'pglite';
  private closed = false;
  /** Why the worker is gone, once it is: every later query fails with it. */
  private stopped: StorageError | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(
    private readonly worker: Worker,
    readonly description: string,
    private readonly releaseLock: () => Promise<void>,
  ) {
    worker.on('message', (reply: PgliteReply) => this.settle(reply));
    worker.on('error', (err) => this.stop(`failed: ${err.message}`));
    worker.on('exit', (code) => this.stop(`exited with code ${code}`));
    // Idle, the worker does not keep the process alive; while a request waits on it, it does.
    worker.unref();
  }

  private stop(why: string): void {
    this.stopped ??= new StorageError(
      'CONNECTION_FAILED',
      `the embedded database (${this.description}) ${this.closed ? 'is closed' : `stopped: its thread ${why}`}`,
    );
    for (const p of this.pending.values()) p.reject(this.stopped);
    this.pending.clear();
  }

  private settle(reply: PgliteReply): void {
    const p = this.pending.get(reply.id);
    if (!p) return;
    this.pending.delete(reply.id);
    if (this.pending.size === 0) this.worker.unref();
    if (reply.error) p.reject(revive(reply.error));
    else p.resolve(revivedRows(reply.rows ?? []));
  }

  private send(request: Request, id = this.nextId++): Promise<unknown[]> {
    if (this.stopped) return Promise.reject(this.stopped);
    return new Promise<unknown[]>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      if (this.pending.size === 1) this.worker.ref();
      this.worker.postMessage({ ...request, id });
    });
  }

  private assertOpen(): void {
    assertDatabaseOpen(this.closed, this.description);
  }

  // PGlite queues a query behind a running transaction, so a caller outside the transaction is safe.
  async query<T extends object = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]> {
    this.assertOpen();
    assertNotInTransactionOf(this, 'db.query()');
    return (await this.send({ op: 'run', sql, params })) as T[];
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    this.assertOpen();
    assertNotInTransactionOf(this, 'db.transaction()');
    const id = this.nextId++;
    await this.send({ op: 'begin' }, id);
    let finished = false;
    const tx: Queryable = {
      query: async <R extends object = Record<string, unknown>>(sql: string, params?: unknown[]) => {
        if (finished) {
          throw new StorageError('TRANSACTION_MISUSE', 'tx.query() was called after its transaction ended');
        }
        return (await this.send({ op: 'run', sql, params, tx: id })) as R[];
      },
    };
    let result: T;
    try {
      result = await runInTransactionScope(this, () => fn(tx));
    } catch (err) {
      finished = true;
      await this.send({ op: 'rollback', tx: id }).catch(() => undefined);
      throw err;
    }
    finished = true;
    await this.send({ op: 'commit', tx: id });
    return result;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      if (!this.stopped) await this.send({ op: 'close' });
    } finally {
      await this.worker.terminate();
      await this.releaseLock();
    }
  }
}

/**
 * Starts the worker (`workerUrl`: the compiled pglite-worker.js) on `dataDir` (in memory without one) and
 * waits until its database is open.
 */
export async function openPgliteWorker(
  workerUrl: URL,
  dataDir: string | undefined,
  description: string,
  releaseLock: () => Promise<void>,
): Promise<Database> {
  const worker = new Worker(workerUrl, { workerData: { dataDir } });
  try {
    await new Promise<void>((resolve, reject) => {
      const onExit = (code: number) => reject(new Error(`its thread exited with code ${code}`));
      worker.once('error', reject);
      worker.once('exit', onExit);
      worker.once('message', (reply: PgliteReply) => {
        worker.off('error', reject);
        worker.off('exit', onExit);
        if (reply.error) reject(revive(reply.error));
        else resolve();
      });
    });
  } catch (err) {
    await worker.terminate();
    throw err;
  }
  return new PgliteWorkerDatabase(worker, description, releaseLock);
}

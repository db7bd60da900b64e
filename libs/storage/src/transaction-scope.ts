// Remembers which databases the current async call chain is inside a transaction of.
import { AsyncLocalStorage } from 'node:async_hooks';
import { StorageError } from './errors.js';

const scope = new AsyncLocalStorage<ReadonlySet<object>>();

/** Runs fn marked as inside a transaction of `db`. */
export function runInTransactionScope<T>(db: object, fn: () => Promise<T>): Promise<T> {
  const outer = scope.getStore();
  return scope.run(new Set([...(outer ?? []), db]), fn);
}

/**
 * Refuses `db.query`/`db.transaction` from inside that database's own transaction callback. On PGlite the
 * call would wait for the transaction that is waiting for it (a silent hang); on PostgreSQL it would run
 * outside the transaction on another connection. Either way the caller meant `tx.query`.
 */
export function assertNotInTransactionOf(db: object, what: string): void {
  if (scope.getStore()?.has(db)) {
    throw new StorageError(
      'TRANSACTION_MISUSE',
      `${what} was called inside a transaction on the same database; use the transaction's tx.query instead`,
    );
  }
}

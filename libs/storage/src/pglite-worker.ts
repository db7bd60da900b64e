// Embedded PGlite on a thread of its own. PostgreSQL compiled to WASM runs every statement synchronously on the
// thread that holds it: on the service's own thread each statement stalled gRPC, the enclave's replies and timers
// for a millisecond or more. Here it runs beside them, and the service only waits for the answer.
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite, TransactionAbortedError, type Transaction } from '@electric-sql/pglite';
import { runPglite as run } from './pglite-run.js';
import { pgliteParsers } from './type-parsers.js';
import type { PgliteReply, PgliteRequest, SerializedError } from './pglite-worker-protocol.js';

/** An error as plain data: structured cloning keeps an Error's message but drops `code` and PGlite's fields. */
function serialize(err: unknown): SerializedError {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err), fields: {} };
  const fields: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(err)) {
    if (typeof v === 'string' || typeof v === 'number') fields[k] = v;
  }
  // PGlite's own class name does not survive bundling; the service maps this one to TRANSACTION_ABORTED.
  const name = err instanceof TransactionAbortedError ? 'TransactionAbortedError' : err.name;
  return { name, message: err.message, fields };
}

const port = parentPort;
if (!port) throw new Error('pglite-worker runs as a worker thread');
const { dataDir } = workerData as { dataDir?: string };

/** Open transactions by id: PGlite's own transaction(), held open until the service commits or rolls back. */
const transactions = new Map<
  number,
  { tx: Transaction; end: (commit: boolean) => void; done: Promise<void> }
>();
/** Thrown inside PGlite's transaction() to make it roll back; not an error of the transaction's. */
class RollbackRequested extends Error {}

function reply(message: PgliteReply): void {
  port?.postMessage(message);
}

async function begin(id: number): Promise<void> {
  await new Promise<void>((started, failed) => {
    const done = pglite
      .transaction(async (tx) => {
        const commit = await new Promise<boolean>((end) => {
          transactions.set(id, { tx, end, done });
          started();
        });
        if (!commit) throw new RollbackRequested();
      })
      .catch((err: unknown) => {
        if (!(err instanceof RollbackRequested)) throw err;
      });
    // A BEGIN that failed never reached the callback.
    done.catch(failed);
  });
}

async function finish(tx: number, commit: boolean): Promise<void> {
  const open = transactions.get(tx);
  if (!open) throw new Error(`transaction ${tx} is not open`);
  transactions.delete(tx);
  open.end(commit);
  await open.done;
}

async function handle(request: PgliteRequest): Promise<unknown[] | undefined> {
  switch (request.op) {
    case 'run': {
      if (request.tx === undefined) return run(pglite, request.sql, request.params);
      const open = transactions.get(request.tx);
      if (!open) throw new Error(`transaction ${request.tx} is not open`);
      return run(open.tx, request.sql, request.params);
    }
    case 'begin':
      await begin(request.id);
      return undefined;
    case 'commit':
    case 'rollback':
      await finish(request.tx, request.op === 'commit');
      return undefined;
    case 'close':
      await pglite.close();
      return undefined;
  }
}

let pglite: PGlite;
try {
  pglite = await PGlite.create({ ...(dataDir === undefined ? {} : { dataDir }), parsers: pgliteParsers });
  reply({ id: 0 });
} catch (err) {
  reply({ id: 0, error: serialize(err) });
  port.close();
}

port.on('message', (request: PgliteRequest) => {
  handle(request)
    .then(
      (rows) => reply({ id: request.id, rows }),
      (err: unknown) => reply({ id: request.id, error: serialize(err) }),
    )
    .finally(() => {
      if (request.op === 'close') port.close();
    });
});

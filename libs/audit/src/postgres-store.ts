// The aggregator's audit log in PostgreSQL (or PGlite). Several processes may append to one database: a
// batch is chained and inserted while holding pg_advisory_xact_lock(AUDIT_LOCK_KEY), and the primary key on
// seq makes a batch chained against a stale head fail instead of forking the chain.
import type { Database, Queryable } from '@cohort/storage';
import { AuditError, errorCodeOf } from './audit-error.js';
import { createCheckpoint, type AuditCheckpoint, type CheckpointSigner } from './checkpoint.js';
import type { JsonObject } from './canonical-json.js';
import {
  chainEntries,
  EMPTY_HEAD,
  indexKeysOf,
  isHash,
  type AuditDraft,
  type AuditEntry,
  type AuditHead,
} from './entry.js';
import { AUDIT_LOCK_KEY } from './schema.js';
import {
  normaliseFilter,
  normaliseOverlap,
  normalisePage,
  SerialQueue,
  type AuditFilter,
  type AuditPage,
  type AuditStore,
  type CheckpointQuery,
  type NormalisedFilter,
} from './store.js';

export interface PostgresAuditStoreOptions {
  /**
   * true (default): the server's synchronous_commit applies (PostgreSQL's default, on, makes an append
   * durable when it resolves). false: synchronous_commit = off for the audit writes — appends return
   * before the WAL is flushed, so a crash of the database server can lose the last fraction of a second of
   * acknowledged entries (always a suffix: the chain stays intact and verifiable). A crash of the writer
   * process loses nothing either way.
   */
  synchronousCommit?: boolean;
}

const UNIQUE_VIOLATION = '23505';
// After a conflict, appends take the locked path until this many in a row found the head where this store
// left it, i.e. no other writer is active; then the one-statement path is worth trying again.
const CALM_BATCHES_BEFORE_FAST_PATH = 4;
const HASH_PAGE = 50_000;
/** Beyond this many entries since the last checkpoint, the next one reads their hashes back instead. */
const MAX_TAIL_HASHES = 100_000;

const COLUMNS = 'seq, time, actor, action, subject, details, prev_hash, hash, job_id, silo_id';
const CASTS = ['bigint', 'timestamptz', 'text', 'text', 'text', 'jsonb', 'text', 'text', 'text', 'text'];
// Small batches (sequential appends) go as VALUES rows, cheapest to plan; large ones as one JSON parameter,
// which keeps the statement short however many rows it carries.
const MAX_VALUES_ROWS = 16;
const statements = new Map<string, string>();

/**
 * The INSERT for a batch of `rows`. With `lock`, the statement takes the advisory lock itself (a statement
 * outside a transaction block is its own transaction, so the lock is held until it commits); with
 * `asyncCommit`, it turns synchronous_commit off for that transaction (set_config(…, true) is local to it).
 */
function insertStatement(rows: number, lock: boolean, asyncCommit: boolean): string {
  const shape = rows > MAX_VALUES_ROWS ? 'json' : String(rows);
  const key = `${shape}/${lock}/${asyncCommit}`;
  let sql = statements.get(key);
  if (sql === undefined) {
    const source =
      shape === 'json'
        ? `jsonb_to_recordset($1::jsonb) AS r(${COLUMNS.split(', ')
            .map((c, i) => `${c} ${CASTS[i]}`)
            .join(', ')})`
        : `(VALUES ${Array.from(
            { length: rows },
            (_, r) => `(${CASTS.map((cast, i) => `$${r * CASTS.length + i + 1}::${cast}`).join(', ')})`,
          ).join(', ')}) AS r(${COLUMNS})`;
    const next = shape === 'json' ? 2 : rows * CASTS.length + 1;
    const ctes = [
      ...(lock ? [`lock AS MATERIALIZED (SELECT pg_advisory_xact_lock($${next}::bigint))`] : []),
      ...(asyncCommit
        ? [`durability AS MATERIALIZED (SELECT set_config('synchronous_commit', 'off', true))`]
        : []),
    ];
    const from = [...(lock ? ['lock'] : []), ...(asyncCommit ? ['durability'] : []), source].join(', ');
    sql = `${ctes.length > 0 ? `WITH ${ctes.join(', ')} ` : ''}INSERT INTO audit_entries (${COLUMNS}) SELECT ${COLUMNS.split(
      ', ',
    )
      .map((c) => `r.${c}`)
      .join(', ')} FROM ${from}`;
    statements.set(key, sql);
  }
  return sql;
}

function insertParams(entries: AuditEntry[], lockKey?: number): unknown[] {
  const params: unknown[] =
    entries.length > MAX_VALUES_ROWS ? [JSON.stringify(entries.map(rowOf))] : entries.flatMap(valuesOf);
  if (lockKey !== undefined) params.push(lockKey);
  return params;
}

const ENTRY_SELECT = `SELECT seq, time, actor, action, subject, details, prev_hash, hash FROM audit_entries`;
const CHECKPOINT_SELECT = `SELECT seq, from_seq, to_seq, head_hash, merkle_root, time, prev_checkpoint_hash, signer,
  signature FROM audit_checkpoints`;

interface EntryRow {
  seq: number;
  time: Date;
  actor: string;
  action: string;
  subject: string;
  details: JsonObject;
  prev_hash: string;
  hash: string;
}

interface CheckpointRow {
  seq: number;
  from_seq: number;
  to_seq: number;
  head_hash: string;
  merkle_root: string;
  time: Date;
  prev_checkpoint_hash: string;
  signer: string;
  signature: string;
}

export class PostgresAuditStore implements AuditStore {
  private readonly synchronousCommit: boolean;
  // One batch or checkpoint at a time from this store; other processes are kept in line by the advisory lock.
  private readonly queue = new SerialQueue();
  private knownHead: AuditHead | undefined;
  private fastPath = true;
  private calmBatches = 0;
  /**
   * The last checkpoint as this store wrote or read it, and the hashes of the entries after it while every one
   * of them was appended by this store (undefined once another writer's entry, or an outcome not known, broke
   * the run): a round's checkpoint then needs no read, only its insert.
   */
  private tail: { checkpoint: AuditCheckpoint | null; hashes: string[] } | undefined;

  /** The schema must exist (AUDIT_SCHEMA_SQL, run by the aggregator's migrations or ensureAuditSchema). */
  constructor(
    private readonly db: Database,
    options: PostgresAuditStoreOptions = {},
  ) {
    this.synchronousCommit = options.synchronousCommit !== false;
  }

  append(drafts: readonly AuditDraft[]): Promise<AuditEntry[]> {
    if (drafts.length === 0) return Promise.resolve([]);
    return this.queue.run(async () => {
      try {
        const entries = await this.appendChained(drafts);
        this.extendTail(entries);
        return entries;
      } catch (error) {
        this.tail = undefined;
        throw error;
      }
    });
  }

  private async appendChained(drafts: readonly AuditDraft[]): Promise<AuditEntry[]> {
    const known = this.knownHead;
    if (known !== undefined && this.fastPath) {
      const entries = chainEntries(known, drafts);
      if (await this.tryFastInsert(entries)) {
        this.knownHead = headOf(entries);
        return entries;
      }
      this.fastPath = false;
      this.calmBatches = 0;
    }
    return this.appendLocked(drafts);
  }

  private extendTail(entries: AuditEntry[]): void {
    const tail = this.tail;
    if (!tail) return;
    const next = (tail.checkpoint?.toSeq ?? 0) + tail.hashes.length + 1;
    if (entries[0].seq !== next || tail.hashes.length + entries.length > MAX_TAIL_HASHES) {
      this.tail = undefined;
      return;
    }
    for (const e of entries) tail.hashes.push(e.hash);
  }

  checkpoint(signer: CheckpointSigner, time: string): Promise<AuditCheckpoint | null> {
    return this.queue.run(async () => {
      try {
        const fast = await this.tryFastCheckpoint(signer, time);
        if (fast !== undefined) return fast;
        const { checkpoint, previous } = await this.checkpointLocked(signer, time);
        this.tail = { checkpoint: checkpoint ?? previous, hashes: [] };
        return checkpoint;
      } catch (error) {
        this.tail = undefined;
        throw error;
      }
    });
  }

  /**
   * A checkpoint over entries this store appended itself after the checkpoint it wrote last: signed from what it
   * holds and inserted by one statement. Undefined when it does not hold them, or another writer's checkpoint
   * took the number first (unique seq), for the locked path to redo from the database.
   */
  private async tryFastCheckpoint(
    signer: CheckpointSigner,
    time: string,
  ): Promise<AuditCheckpoint | null | undefined> {
    const tail = this.tail;
    if (!tail || tail.hashes.length === 0) return undefined;
    const fromSeq = (tail.checkpoint?.toSeq ?? 0) + 1;
    const head = { seq: fromSeq + tail.hashes.length - 1, hash: tail.hashes[tail.hashes.length - 1] };
    const checkpoint = await createCheckpoint({
      previous: tail.checkpoint,
      head,
      hashes: tail.hashes,
      time,
      signer,
    });
    if (!checkpoint) return undefined;
    const lock = this.db.kind === 'postgres';
    try {
      await this.db.query(
        `${lock ? 'WITH lock AS MATERIALIZED (SELECT pg_advisory_xact_lock($10::bigint)) ' : ''}` +
          `INSERT INTO audit_checkpoints (seq, from_seq, to_seq, head_hash, merkle_root, time, prev_checkpoint_hash,
             signer, signature) SELECT $1, $2, $3, $4, $5, $6::timestamptz, $7, $8, $9${lock ? ' FROM lock' : ''}`,
        [...checkpointValues(checkpoint), ...(lock ? [AUDIT_LOCK_KEY] : [])],
      );
    } catch (error) {
      if (errorCodeOf(error) !== UNIQUE_VIOLATION) throw error;
      this.tail = undefined;
      return undefined;
    }
    this.tail = { checkpoint, hashes: [] };
    return checkpoint;
  }

  private checkpointLocked(
    signer: CheckpointSigner,
    time: string,
  ): Promise<{ checkpoint: AuditCheckpoint | null; previous: AuditCheckpoint | null }> {
    return this.db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1::bigint)', [AUDIT_LOCK_KEY]);
      const previous = await lastCheckpointOf(tx);
      const head = await readHead(tx);
      const fromSeq = (previous?.toSeq ?? 0) + 1;
      if (head.seq < fromSeq) return { checkpoint: null, previous };
      const checkpoint = await createCheckpoint({
        previous,
        head,
        hashes: await readHashes(tx, fromSeq, head.seq),
        time,
        signer,
      });
      if (checkpoint) {
        await tx.query(
          `INSERT INTO audit_checkpoints (seq, from_seq, to_seq, head_hash, merkle_root, time, prev_checkpoint_hash,
             signer, signature) VALUES ($1, $2, $3, $4, $5, $6::timestamptz, $7, $8, $9)`,
          checkpointValues(checkpoint),
        );
      }
      return { checkpoint, previous };
    });
  }

  head(): Promise<AuditHead> {
    return readHead(this.db);
  }

  lastCheckpoint(): Promise<AuditCheckpoint | null> {
    return lastCheckpointOf(this.db);
  }

  async listEntries(filter?: AuditFilter, page?: AuditPage): Promise<AuditEntry[]> {
    const { afterSeq, limit } = normalisePage(page);
    const { where, params } = whereOf(normaliseFilter(filter), afterSeq);
    params.push(limit);
    const rows = await this.db.query<EntryRow>(
      `${ENTRY_SELECT} ${where} ORDER BY seq LIMIT $${params.length}`,
      params,
    );
    return rows.map(entryOf);
  }

  async listCheckpoints(query: CheckpointQuery = {}): Promise<AuditCheckpoint[]> {
    const { afterSeq, limit } = normalisePage(query);
    const overlap = normaliseOverlap(query);
    const params: unknown[] = [afterSeq];
    let where = 'WHERE seq > $1';
    if (overlap) {
      params.push(overlap.fromSeq, overlap.toSeq);
      where += ' AND to_seq >= $2 AND from_seq <= $3';
    }
    params.push(limit);
    const rows = await this.db.query<CheckpointRow>(
      `${CHECKPOINT_SELECT} ${where} ORDER BY seq LIMIT $${params.length}`,
      params,
    );
    return rows.map(checkpointOf);
  }

  async count(filter?: AuditFilter): Promise<number> {
    const { where, params } = whereOf(normaliseFilter(filter), 0);
    const [row] = await this.db.query<{ n: number }>(
      `SELECT count(*) AS n FROM audit_entries ${where}`,
      params,
    );
    return row.n;
  }

  private async tryFastInsert(entries: AuditEntry[]): Promise<boolean> {
    // PGlite has one opener per data folder and runs one statement at a time: the lock would guard nothing.
    const lock = this.db.kind === 'postgres';
    try {
      await this.db.query(
        insertStatement(entries.length, lock, !this.synchronousCommit),
        insertParams(entries, lock ? AUDIT_LOCK_KEY : undefined),
      );
      return true;
    } catch (error) {
      // Another writer appended since this store last saw the head: the batch's first seq is taken.
      if (errorCodeOf(error) === UNIQUE_VIOLATION) return false;
      throw error;
    }
  }

  private async appendLocked(drafts: readonly AuditDraft[]): Promise<AuditEntry[]> {
    const { head, entries } = await this.db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1::bigint)', [AUDIT_LOCK_KEY]);
      if (!this.synchronousCommit) await tx.query('SET LOCAL synchronous_commit = off');
      // Read after the lock is held, in a statement of its own, so the snapshot includes every earlier batch.
      const current = await readHead(tx);
      const chained = chainEntries(current, drafts);
      await tx.query(insertStatement(chained.length, false, false), insertParams(chained));
      return { head: current, entries: chained };
    });
    const undisturbed = this.knownHead !== undefined && this.knownHead.seq === head.seq;
    this.calmBatches = undisturbed ? this.calmBatches + 1 : 0;
    if (this.calmBatches >= CALM_BATCHES_BEFORE_FAST_PATH || this.knownHead === undefined)
      this.fastPath = true;
    this.knownHead = headOf(entries);
    return entries;
  }
}

function headOf(entries: AuditEntry[]): AuditHead {
  const last = entries[entries.length - 1];
  return { seq: last.seq, hash: last.hash };
}

async function readHead(q: Queryable): Promise<AuditHead> {
  const [row] = await q.query<{ seq: number; hash: string }>(
    'SELECT seq, hash FROM audit_entries ORDER BY seq DESC LIMIT 1',
  );
  if (!row) return { ...EMPTY_HEAD };
  if (!isHash(row.hash)) {
    throw new AuditError(
      'STORE_CORRUPT',
      `audit entry ${row.seq} has a malformed hash ${JSON.stringify(row.hash)}`,
    );
  }
  return { seq: row.seq, hash: row.hash };
}

async function lastCheckpointOf(q: Queryable): Promise<AuditCheckpoint | null> {
  const [row] = await q.query<CheckpointRow>(`${CHECKPOINT_SELECT} ORDER BY seq DESC LIMIT 1`);
  return row ? checkpointOf(row) : null;
}

async function readHashes(q: Queryable, fromSeq: number, toSeq: number): Promise<string[]> {
  const hashes: string[] = [];
  for (let start = fromSeq; start <= toSeq; start += HASH_PAGE) {
    const end = Math.min(toSeq, start + HASH_PAGE - 1);
    const rows = await q.query<{ hash: string }>(
      'SELECT hash FROM audit_entries WHERE seq BETWEEN $1 AND $2 ORDER BY seq',
      [start, end],
    );
    for (const row of rows) hashes.push(row.hash);
  }
  return hashes;
}

function rowOf(entry: AuditEntry): Record<string, unknown> {
  const { jobId, siloId } = indexKeysOf(entry);
  return {
    seq: entry.seq,
    time: entry.time,
    actor: entry.actor,
    action: entry.action,
    subject: entry.subject,
    details: entry.details,
    prev_hash: entry.prevHash,
    hash: entry.hash,
    job_id: jobId,
    silo_id: siloId,
  };
}

function valuesOf(entry: AuditEntry): unknown[] {
  const { jobId, siloId } = indexKeysOf(entry);
  return [
    entry.seq,
    entry.time,
    entry.actor,
    entry.action,
    entry.subject,
    JSON.stringify(entry.details),
    entry.prevHash,
    entry.hash,
    jobId,
    siloId,
  ];
}

function checkpointValues(c: AuditCheckpoint): unknown[] {
  return [
    c.seq,
    c.fromSeq,
    c.toSeq,
    c.headHash,
    c.merkleRoot,
    c.time,
    c.prevCheckpointHash,
    c.signer,
    c.signature,
  ];
}

function entryOf(row: EntryRow): AuditEntry {
  return {
    seq: row.seq,
    time: row.time.toISOString(),
    actor: row.actor,
    action: row.action,
    subject: row.subject,
    details: row.details,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

function checkpointOf(row: CheckpointRow): AuditCheckpoint {
  return {
    seq: row.seq,
    fromSeq: row.from_seq,
    toSeq: row.to_seq,
    headHash: row.head_hash,
    merkleRoot: row.merkle_root,
    time: row.time.toISOString(),
    prevCheckpointHash: row.prev_checkpoint_hash,
    signer: row.signer,
    signature: row.signature,
  };
}

function whereOf(filter: NormalisedFilter, afterSeq: number): { where: string; params: unknown[] } {
  const params: unknown[] = [afterSeq];
  const conditions = ['seq > $1'];
  const add = (sql: (p: string) => string, value: unknown) => {
    params.push(value);
    conditions.push(sql(`$${params.length}`));
  };
  if (filter.actions) add((p) => `action = ANY(${p}::text[])`, filter.actions);
  if (filter.actor !== undefined) add((p) => `actor = ${p}`, filter.actor);
  if (filter.subject !== undefined) add((p) => `subject = ${p}`, filter.subject);
  if (filter.jobId !== undefined) add((p) => `job_id = ${p}`, filter.jobId);
  if (filter.siloId !== undefined) add((p) => `silo_id = ${p}`, filter.siloId);
  if (filter.since !== undefined) add((p) => `time >= ${p}::timestamptz`, filter.since);
  if (filter.until !== undefined) add((p) => `time < ${p}::timestamptz`, filter.until);
  if (filter.fromSeq !== undefined) add((p) => `seq >= ${p}`, filter.fromSeq);
  if (filter.toSeq !== undefined) add((p) => `seq <= ${p}`, filter.toSeq);
  return { where: `WHERE ${conditions.join(' AND ')}`, params };
}

// Figures for `npm run bench -- audit --json`: append throughput through AuditLog on a real database, with
// many concurrent appenders and with one appender awaiting each append, checkpoints signed on a timer
// throughout; and verification speed, of a log read back from the database and of one held in memory.
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { openDatabase, type Database } from '@cohort/storage';
import { AuditError } from './audit-error.js';
import { AuditLog } from './audit-log.js';
import {
  createCheckpoint,
  createCheckpointSigner,
  type AuditCheckpoint,
  type CheckpointSigner,
} from './checkpoint.js';
import {
  chainEntries,
  EMPTY_HEAD,
  prepareDraft,
  type AuditDraft,
  type AuditEntry,
  type AuditEntryInput,
} from './entry.js';
import { PostgresAuditStore } from './postgres-store.js';
import { ensureAuditSchema } from './schema.js';
import type { AuditStore } from './store.js';
import { verifyAudit, verifyAuditStore } from './verify.js';

export interface BenchAuditOptions {
  /**
   * An empty, throwaway database: the bench writes audit entries, which can never be deleted. Default: PGlite
   * in memory (closed afterwards; a given database is left open).
   */
  database?: Database;
  /** Entries appended by the concurrent appenders (default 20,000). */
  entries?: number;
  /** How many appenders append at once, each awaiting its own appends (default 64). */
  concurrency?: number;
  /** Entries appended by one appender awaiting each append (default 2,000). */
  sequentialEntries?: number;
  /** Checkpoint interval while appending (default 1,000 ms; production uses 60 s). */
  checkpointIntervalMs?: number;
  /** Size of the log verified in memory (default 100,000). */
  verifyEntries?: number;
  /** PostgresAuditStore's synchronousCommit (default true: each append durable when it resolves). */
  synchronousCommit?: boolean;
}

export interface AuditBenchResult {
  backend: 'pglite' | 'postgres';
  synchronousCommit: boolean;
  entries: number;
  concurrency: number;
  /** Entries per second stored with `concurrency` appenders. */
  appendPerSecond: number;
  /** Mean entries per transaction in that phase (group commit at work). */
  meanBatch: number;
  sequentialEntries: number;
  /** Entries per second stored by one appender awaiting each append. */
  appendPerSecondSequential: number;
  /** Mean milliseconds per append in that phase. */
  sequentialAppendMs: number;
  /** Checkpoints signed during both phases, and their mean duration. */
  checkpoints: number;
  checkpointMs: number;
  /** Reading the whole log back from the database and verifying it, per 100,000 entries. */
  verifyStoreMsPer100k: number;
  /** Verifying a log of verifyEntries entries held in memory, per 100,000 entries. */
  verifyMsPer100k: number;
}

export async function benchAudit(options: BenchAuditOptions = {}): Promise<AuditBenchResult> {
  const entries = positive('entries', options.entries ?? 20_000);
  const concurrency = positive('concurrency', options.concurrency ?? 64);
  const sequentialEntries = positive('sequentialEntries', options.sequentialEntries ?? 2_000);
  const verifyEntries = positive('verifyEntries', options.verifyEntries ?? 100_000);
  const interval = positive('checkpointIntervalMs', options.checkpointIntervalMs ?? 1_000);
  const synchronousCommit = options.synchronousCommit ?? true;
  const db = options.database ?? (await openDatabase({}));
  try {
    await ensureAuditSchema(db);
    const [{ n }] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_entries');
    if (n > 0) {
      throw new AuditError(
        'INVALID_ARGUMENT',
        `the bench database already holds ${n} audit entries; benchAudit writes entries that can never be removed, so give it an empty, throwaway database`,
      );
    }
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const store = new MeasuredStore(new PostgresAuditStore(db, { synchronousCommit }));
    const errors: unknown[] = [];
    const log = new AuditLog({ store, signingKey: privateKey, onError: (e) => errors.push(e) });
    log.startCheckpointTimer(interval);
    const jobId = randomUUID();

    let started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < entries) await log.append(sampleEntry(jobId, next++));
      }),
    );
    const concurrentSeconds = (performance.now() - started) / 1000;
    const concurrentBatches = store.batches;

    started = performance.now();
    for (let i = 0; i < sequentialEntries; i++) await log.append(sampleEntry(jobId, entries + i));
    const sequentialMs = performance.now() - started;
    await log.close();
    if (errors.length > 0) throw errors[0] instanceof Error ? errors[0] : new Error(String(errors[0]));

    started = performance.now();
    const stored = await verifyAuditStore(store, [publicKey]);
    const verifyStoreMs = performance.now() - started;
    if (!stored.ok)
      throw new AuditError('STORE_CORRUPT', `the bench log does not verify: ${stored.fault?.message}`);

    const memory = await memoryLog(verifyEntries, jobId, createCheckpointSigner(privateKey));
    started = performance.now();
    const verified = await verifyAudit({
      entries: memory.entries,
      checkpoints: memory.checkpoints,
      publicKeys: [publicKey],
    });
    const verifyMs = performance.now() - started;
    if (!verified.ok)
      throw new AuditError(
        'STORE_CORRUPT',
        `the in-memory bench log does not verify: ${verified.fault?.message}`,
      );

    return {
      backend: db.kind,
      synchronousCommit,
      entries,
      concurrency,
      appendPerSecond: Math.round(entries / concurrentSeconds),
      meanBatch: round(entries / concurrentBatches, 1),
      sequentialEntries,
      appendPerSecondSequential: Math.round(sequentialEntries / (sequentialMs / 1000)),
      sequentialAppendMs: round(sequentialMs / sequentialEntries, 3),
      checkpoints: store.checkpoints,
      checkpointMs: round(store.checkpointMs / Math.max(1, store.checkpoints), 1),
      verifyStoreMsPer100k: Math.round((verifyStoreMs * 100_000) / stored.entries),
      verifyMsPer100k: Math.round((verifyMs * 100_000) / verifyEntries),
    };
  } finally {
    if (!options.database) await db.close();
  }
}

/** Counts batches and times checkpoints on the way through. */
class MeasuredStore implements AuditStore {
  batches = 0;
  checkpoints = 0;
  checkpointMs = 0;

  constructor(private readonly inner: AuditStore) {}

  append(drafts: readonly AuditDraft[]): Promise<AuditEntry[]> {
    this.batches++;
    return this.inner.append(drafts);
  }

  async checkpoint(signer: CheckpointSigner, time: string): Promise<AuditCheckpoint | null> {
    const started = performance.now();
    const checkpoint = await this.inner.checkpoint(signer, time);
    if (checkpoint) {
      this.checkpoints++;
      this.checkpointMs += performance.now() - started;
    }
    return checkpoint;
  }

  head = () => this.inner.head();
  lastCheckpoint = () => this.inner.lastCheckpoint();
  listEntries: AuditStore['listEntries'] = (filter, page) => this.inner.listEntries(filter, page);
  listCheckpoints: AuditStore['listCheckpoints'] = (query) => this.inner.listCheckpoints(query);
  count: AuditStore['count'] = (filter) => this.inner.count(filter);
}

// Shaped like the aggregator's busiest entry: an accepted update with its digest.
function sampleEntry(jobId: string, i: number): AuditEntryInput {
  return {
    actor: 'aggregator',
    action: 'update.accepted',
    subject: `job:${jobId}`,
    details: {
      jobId,
      round: 1 + Math.floor(i / 100),
      siloId: `silo-${i % 100}`,
      updateDigest: (i.toString(16).padStart(8, '0') + 'ab').repeat(8).slice(0, 64),
    },
  };
}

async function memoryLog(count: number, jobId: string, signer: CheckpointSigner) {
  const start = Date.UTC(2025, 0, 1);
  const entries = chainEntries(
    EMPTY_HEAD,
    Array.from({ length: count }, (_, i) =>
      prepareDraft({ ...sampleEntry(jobId, i), time: new Date(start + i) }),
    ),
  );
  const checkpoints: AuditCheckpoint[] = [];
  for (let from = 0; from < count; from += 10_000) {
    const to = Math.min(count, from + 10_000);
    const checkpoint = await createCheckpoint({
      previous: checkpoints.at(-1) ?? null,
      head: { seq: to, hash: entries[to - 1].hash },
      hashes: entries.slice(from, to).map((e) => e.hash),
      time: entries[to - 1].time,
      signer,
    });
    if (checkpoint) checkpoints.push(checkpoint);
  }
  return { entries, checkpoints };
}

function positive(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new AuditError(
      'INVALID_ARGUMENT',
      `benchAudit ${name} must be a positive integer, got ${String(value)}`,
    );
  }
  return value;
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

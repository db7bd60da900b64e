// Where an audit log lives. Stores do the chaining themselves, under whatever lock makes their head the
// current head (an advisory lock on PostgreSQL, a mutex for a file), so a writer hands over drafts, never
// entries it chained against a head that may have moved.
import { AuditError } from './audit-error.js';
import type { AuditCheckpoint, CheckpointSigner } from './checkpoint.js';
import { indexKeysOf, normaliseTime, type AuditDraft, type AuditEntry, type AuditHead } from './entry.js';

export interface AuditFilter {
  /** One action or any of several, exactly. */
  action?: string | readonly string[];
  actor?: string;
  subject?: string;
  /** details.jobId, else the id in a "job:<id>" subject (see indexKeysOf). */
  jobId?: string;
  /** details.siloId, else a "silo:<name>" subject, else a "silo:<name>" actor. */
  siloId?: string;
  /** Entries at or after this instant. */
  since?: string | Date;
  /** Entries strictly before this instant. */
  until?: string | Date;
  /** Inclusive seq bounds. */
  fromSeq?: number;
  toSeq?: number;
}

export interface AuditPage {
  /** Entries with seq greater than this (default 0). */
  afterSeq?: number;
  /** At most this many (default 1,000, at most 10,000). */
  limit?: number;
}

export interface CheckpointQuery extends AuditPage {
  /** Only checkpoints whose range overlaps fromSeq..toSeq. */
  overlapping?: { fromSeq: number; toSeq: number };
}

export interface AuditStore {
  /** Chains the drafts after the current head, in order, and stores them atomically. */
  append(drafts: readonly AuditDraft[]): Promise<AuditEntry[]>;
  /**
   * Signs and stores a checkpoint over the entries since the last checkpoint (as one atomic step against
   * concurrent appends and checkpoints); null when there are none.
   */
  checkpoint(signer: CheckpointSigner, time: string): Promise<AuditCheckpoint | null>;
  head(): Promise<AuditHead>;
  lastCheckpoint(): Promise<AuditCheckpoint | null>;
  /** Matching entries in seq order, one page. */
  listEntries(filter?: AuditFilter, page?: AuditPage): Promise<AuditEntry[]>;
  /** Checkpoints in seq order, one page. */
  listCheckpoints(query?: CheckpointQuery): Promise<AuditCheckpoint[]>;
  count(filter?: AuditFilter): Promise<number>;
}

/** A filter checked once, with instants as ISO text and actions as a list. */
export interface NormalisedFilter {
  actions?: string[];
  actor?: string;
  subject?: string;
  jobId?: string;
  siloId?: string;
  since?: string;
  until?: string;
  fromSeq?: number;
  toSeq?: number;
}

export const DEFAULT_PAGE_SIZE = 1000;
export const MAX_PAGE_SIZE = 10_000;

export function normaliseFilter(filter: AuditFilter = {}): NormalisedFilter {
  const out: NormalisedFilter = {};
  if (filter.action !== undefined) {
    const actions = typeof filter.action === 'string' ? [filter.action] : [...filter.action];
    if (actions.length === 0 || actions.some((a) => typeof a !== 'string' || a === '')) {
      throw invalid('action must be a non-empty string or a non-empty list of them');
    }
    out.actions = actions;
  }
  for (const name of ['actor', 'subject', 'jobId', 'siloId'] as const) {
    const value = filter[name];
    if (value === undefined) continue;
    if (typeof value !== 'string' || value === '') throw invalid(`${name} must be a non-empty string`);
    out[name] = value;
  }
  if (filter.since !== undefined) out.since = filterTime('since', filter.since);
  if (filter.until !== undefined) out.until = filterTime('until', filter.until);
  if (filter.fromSeq !== undefined) out.fromSeq = positive('fromSeq', filter.fromSeq);
  if (filter.toSeq !== undefined) out.toSeq = positive('toSeq', filter.toSeq);
  return out;
}

/** True when the filter selects every entry (a full export). */
export function isEmptyFilter(filter: NormalisedFilter): boolean {
  return Object.keys(filter).length === 0;
}

/** The filter's meaning, for stores that filter in memory; PostgresAuditStore says the same in SQL. */
export function matchesFilter(entry: AuditEntry, filter: NormalisedFilter): boolean {
  if (filter.actions && !filter.actions.includes(entry.action)) return false;
  if (filter.actor !== undefined && entry.actor !== filter.actor) return false;
  if (filter.subject !== undefined && entry.subject !== filter.subject) return false;
  if (filter.fromSeq !== undefined && entry.seq < filter.fromSeq) return false;
  if (filter.toSeq !== undefined && entry.seq > filter.toSeq) return false;
  if (filter.since !== undefined && entry.time < filter.since) return false;
  if (filter.until !== undefined && entry.time >= filter.until) return false;
  if (filter.jobId !== undefined || filter.siloId !== undefined) {
    const keys = indexKeysOf(entry);
    if (filter.jobId !== undefined && keys.jobId !== filter.jobId) return false;
    if (filter.siloId !== undefined && keys.siloId !== filter.siloId) return false;
  }
  return true;
}

export function normalisePage(page: AuditPage = {}): { afterSeq: number; limit: number } {
  const afterSeq = page.afterSeq ?? 0;
  if (!Number.isSafeInteger(afterSeq) || afterSeq < 0) throw invalid('afterSeq must be an integer ≥ 0');
  const limit = page.limit ?? DEFAULT_PAGE_SIZE;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
    throw invalid(`limit must be an integer from 1 to ${MAX_PAGE_SIZE}`);
  }
  return { afterSeq, limit };
}

export function normaliseOverlap(query: CheckpointQuery): { fromSeq: number; toSeq: number } | undefined {
  if (!query.overlapping) return undefined;
  const fromSeq = positive('overlapping.fromSeq', query.overlapping.fromSeq);
  const toSeq = positive('overlapping.toSeq', query.overlapping.toSeq);
  return { fromSeq, toSeq };
}

/** Every matching entry, in seq order, fetched a page at a time. */
export async function* readEntries(
  store: AuditStore,
  filter: AuditFilter = {},
  pageSize = 5000,
): AsyncGenerator<AuditEntry> {
  let afterSeq = 0;
  for (;;) {
    const page = await store.listEntries(filter, { afterSeq, limit: pageSize });
    yield* page;
    if (page.length < pageSize) return;
    afterSeq = page[page.length - 1].seq;
  }
}

/** Every matching checkpoint, in seq order, fetched a page at a time. */
export async function* readCheckpoints(
  store: AuditStore,
  query: Omit<CheckpointQuery, 'afterSeq' | 'limit'> = {},
  pageSize = 1000,
): AsyncGenerator<AuditCheckpoint> {
  let afterSeq = 0;
  for (;;) {
    const page = await store.listCheckpoints({ ...query, afterSeq, limit: pageSize });
    yield* page;
    if (page.length < pageSize) return;
    afterSeq = page[page.length - 1].seq;
  }
}

/** Runs tasks one at a time in call order; a failed task does not block the next. */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

function filterTime(name: string, value: string | Date): string {
  try {
    return normaliseTime(value, `filter ${name}`);
  } catch (cause) {
    throw invalid((cause as Error).message);
  }
}

function positive(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw invalid(`${name} must be a positive integer, got ${String(value)}`);
  }
  return value;
}

function invalid(problem: string): AuditError {
  return new AuditError('INVALID_ARGUMENT', `audit filter: ${problem}`);
}

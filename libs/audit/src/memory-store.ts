// An AuditStore in process memory: for tests, and for tools that load an export to inspect it. Nothing
// survives the process.
import { createCheckpoint, type AuditCheckpoint, type CheckpointSigner } from './checkpoint.js';
import { chainEntries, EMPTY_HEAD, type AuditDraft, type AuditEntry, type AuditHead } from './entry.js';
import {
  matchesFilter,
  normaliseFilter,
  normaliseOverlap,
  normalisePage,
  SerialQueue,
  type AuditFilter,
  type AuditPage,
  type AuditStore,
  type CheckpointQuery,
} from './store.js';

export class MemoryAuditStore implements AuditStore {
  private readonly entries: AuditEntry[] = [];
  private readonly checkpoints: AuditCheckpoint[] = [];
  // Signing is asynchronous; without the queue two checkpoints could claim the same number.
  private readonly checkpointQueue = new SerialQueue();

  append(drafts: readonly AuditDraft[]): Promise<AuditEntry[]> {
    return settle(() => {
      const chained = chainEntries(this.currentHead(), drafts);
      this.entries.push(...chained);
      return copy(chained);
    });
  }

  checkpoint(signer: CheckpointSigner, time: string): Promise<AuditCheckpoint | null> {
    return this.checkpointQueue.run(async () => {
      const previous = this.checkpoints.at(-1) ?? null;
      const head = this.currentHead();
      const from = previous?.toSeq ?? 0;
      const checkpoint = await createCheckpoint({
        previous,
        head,
        hashes: this.entries.slice(from, head.seq).map((e) => e.hash),
        time,
        signer,
      });
      if (checkpoint) this.checkpoints.push(checkpoint);
      return checkpoint;
    });
  }

  head(): Promise<AuditHead> {
    return Promise.resolve(this.currentHead());
  }

  lastCheckpoint(): Promise<AuditCheckpoint | null> {
    return Promise.resolve(copy(this.checkpoints.at(-1) ?? null));
  }

  listEntries(filter?: AuditFilter, page?: AuditPage): Promise<AuditEntry[]> {
    return settle(() => {
      const f = normaliseFilter(filter);
      const { afterSeq, limit } = normalisePage(page);
      const out: AuditEntry[] = [];
      for (let i = afterSeq; i < this.entries.length && out.length < limit; i++) {
        if (matchesFilter(this.entries[i], f)) out.push(this.entries[i]);
      }
      return copy(out);
    });
  }

  listCheckpoints(query: CheckpointQuery = {}): Promise<AuditCheckpoint[]> {
    const { afterSeq, limit } = normalisePage(query);
    const overlap = normaliseOverlap(query);
    const out = this.checkpoints
      .filter(
        (c) => c.seq > afterSeq && (!overlap || (c.toSeq >= overlap.fromSeq && c.fromSeq <= overlap.toSeq)),
      )
      .slice(0, limit);
    return Promise.resolve(copy(out));
  }

  count(filter?: AuditFilter): Promise<number> {
    const f = normaliseFilter(filter);
    return Promise.resolve(this.entries.filter((e) => matchesFilter(e, f)).length);
  }

  private currentHead(): AuditHead {
    const last = this.entries.at(-1);
    return last ? { seq: last.seq, hash: last.hash } : { ...EMPTY_HEAD };
  }
}

// Stores report every failure as a rejected promise, never as a synchronous throw.
function settle<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}

// Entries and checkpoints are plain JSON; copying through JSON also keeps the copies in the caller's realm
// (structuredClone under a vm context returns objects of the outer realm).
function copy<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

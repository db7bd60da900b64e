// The writer services use. Appends that arrive while a batch is being written wait and go together in the
// next batch (group commit), so a busy aggregator pays one transaction per batch rather than per entry,
// while an append still resolves only once its entry is stored.
import type { KeyObject } from 'node:crypto';
import { AuditError } from './audit-error.js';
import { createCheckpointSigner, type AuditCheckpoint, type CheckpointSigner } from './checkpoint.js';
import { sanitizeDetails } from './details.js';
import {
  normaliseTime,
  prepareDraft,
  type AuditDraft,
  type AuditEntry,
  type AuditEntryInput,
} from './entry.js';
import { SerialQueue, type AuditStore } from './store.js';

export interface AuditLogOptions {
  store: AuditStore;
  /** The Ed25519 private key that signs checkpoints (or a signer built from one). */
  signingKey: KeyObject | CheckpointSigner;
  /** The clock for entry and checkpoint times (default: the system clock). */
  now?: () => Date;
  /** Where failures of the background checkpoint timer go (default: a process warning). */
  onError?: (error: unknown) => void;
  /** The largest batch written at once (default 1,000). */
  maxBatch?: number;
}

interface Pending {
  draft: AuditDraft;
  resolve: (entry: AuditEntry) => void;
  reject: (error: unknown) => void;
}

export const DEFAULT_CHECKPOINT_INTERVAL_MS = 60_000;
export const DEFAULT_CHECKPOINT_MAX_ENTRIES = 10_000;

export class AuditLog {
  private readonly store: AuditStore;
  private readonly signer: CheckpointSigner;
  private readonly now: () => Date;
  private readonly onError: (error: unknown) => void;
  private readonly maxBatch: number;
  private queue: Pending[] = [];
  private writing: Promise<void> | undefined;
  // Appends queued and settled so far; flush waits for a count, not for idleness, so a steady stream of
  // appends cannot starve a checkpoint waiting behind them.
  private enqueued = 0;
  private settled = 0;
  private flushWaiters: { target: number; resolve: () => void }[] = [];
  private readonly checkpoints = new SerialQueue();
  private timer: NodeJS.Timeout | undefined;
  private backgroundBusy = false;
  // Entries stored since the last background checkpoint began, and how many trigger the next one.
  private sinceCheckpoint = 0;
  private maxEntries: number | undefined;
  private closing: Promise<AuditCheckpoint | null> | undefined;

  constructor(options: AuditLogOptions) {
    this.store = options.store;
    this.signer = isSigner(options.signingKey)
      ? options.signingKey
      : createCheckpointSigner(options.signingKey);
    this.now = options.now ?? (() => new Date());
    this.onError =
      options.onError ?? ((error) => process.emitWarning(`audit checkpoint failed: ${String(error)}`));
    this.maxBatch = options.maxBatch ?? 1000;
    if (!Number.isSafeInteger(this.maxBatch) || this.maxBatch < 1) {
      throw new AuditError(
        'INVALID_ARGUMENT',
        `maxBatch must be a positive integer, got ${String(options.maxBatch)}`,
      );
    }
  }

  /** The signing key's fingerprint: what verifiers must trust. */
  get signerKid(): string {
    return this.signer.kid;
  }

  /**
   * Records an entry; resolves with it (seq, hash) once it is stored. Details pass sanitizeDetails. An
   * invalid entry is refused on its own (ENTRY_INVALID, DETAILS_INVALID); a store failure rejects every
   * entry of the batch it was in, none of which was stored.
   */
  append(input: AuditEntryInput): Promise<AuditEntry> {
    if (this.closing) return Promise.reject(new AuditError('LOG_CLOSED', 'the audit log is closed'));
    let draft: AuditDraft;
    try {
      draft = prepareDraft({ ...input, details: sanitizeDetails(input?.details ?? {}) }, this.now);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    return new Promise<AuditEntry>((resolve, reject) => {
      this.queue.push({ draft, resolve, reject });
      this.enqueued++;
      this.writing ??= this.writeBatches();
    });
  }

  /** Resolves when every append made before the call has been stored or refused (later ones are not awaited). */
  flush(): Promise<void> {
    const target = this.enqueued;
    if (this.settled >= target) return Promise.resolve();
    return new Promise((resolve) => this.flushWaiters.push({ target, resolve }));
  }

  /**
   * Signs a checkpoint over everything appended so far (waiting for pending appends first); null when
   * nothing was appended since the last checkpoint.
   */
  checkpoint(): Promise<AuditCheckpoint | null> {
    if (this.closing) return Promise.reject(new AuditError('LOG_CLOSED', 'the audit log is closed'));
    return this.checkpointNow();
  }

  /**
   * Checkpoints in the background every `intervalMs`, and also as soon as `maxEntries` entries were stored
   * since the last one: a busy log is then checkpointed even when timers are late (PGlite resolves queries
   * without returning to the event loop, so a steady stream of appends can hold timers off). Failures go to
   * onError. The timer does not keep the process alive.
   */
  startCheckpointTimer(
    intervalMs = DEFAULT_CHECKPOINT_INTERVAL_MS,
    maxEntries = DEFAULT_CHECKPOINT_MAX_ENTRIES,
  ): void {
    if (!Number.isFinite(intervalMs) || intervalMs <= 0) {
      throw new AuditError(
        'INVALID_ARGUMENT',
        `the checkpoint interval must be positive, got ${String(intervalMs)}`,
      );
    }
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) {
      throw new AuditError(
        'INVALID_ARGUMENT',
        `maxEntries must be a positive integer, got ${String(maxEntries)}`,
      );
    }
    if (this.closing) throw new AuditError('LOG_CLOSED', 'the audit log is closed');
    this.stopCheckpointTimer();
    this.maxEntries = maxEntries;
    this.timer = setInterval(() => this.backgroundCheckpoint(), intervalMs);
    this.timer.unref();
  }

  stopCheckpointTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.maxEntries = undefined;
  }

  /**
   * Stops the timer, refuses further appends, waits for pending ones and writes a final checkpoint (null when
   * nothing was left uncovered). The store stays open: it belongs to the caller. Safe to call twice.
   */
  close(): Promise<AuditCheckpoint | null> {
    if (!this.closing) {
      this.stopCheckpointTimer();
      this.closing = this.checkpointNow();
    }
    return this.closing;
  }

  private checkpointNow(): Promise<AuditCheckpoint | null> {
    return this.checkpoints.run(async () => {
      await this.flush();
      return this.store.checkpoint(this.signer, normaliseTime(this.now(), 'checkpoint time'));
    });
  }

  private async writeBatches(): Promise<void> {
    // Appends made in the same tick as the first one join its batch.
    await Promise.resolve();
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch);
        try {
          const entries = await this.store.append(batch.map((p) => p.draft));
          batch.forEach((p, i) => p.resolve(entries[i]));
        } catch (error) {
          for (const p of batch) p.reject(error);
        }
        this.settled += batch.length;
        this.releaseFlushWaiters();
        this.sinceCheckpoint += batch.length;
        if (this.maxEntries !== undefined && this.sinceCheckpoint >= this.maxEntries)
          this.backgroundCheckpoint();
      }
    } finally {
      this.writing = undefined;
    }
  }

  private backgroundCheckpoint(): void {
    // A slow checkpoint (a large range, a busy database) must not pile up behind itself.
    if (this.backgroundBusy || this.closing) return;
    this.backgroundBusy = true;
    this.sinceCheckpoint = 0;
    void this.checkpointNow()
      .catch((error: unknown) => this.reportError(error))
      .finally(() => {
        this.backgroundBusy = false;
        // Entries stored while this checkpoint ran may already call for the next one.
        if (this.maxEntries !== undefined && this.sinceCheckpoint >= this.maxEntries)
          this.backgroundCheckpoint();
      });
  }

  private releaseFlushWaiters(): void {
    const waiting = this.flushWaiters;
    this.flushWaiters = waiting.filter((w) => w.target > this.settled);
    for (const w of waiting) if (w.target <= this.settled) w.resolve();
  }

  private reportError(error: unknown): void {
    try {
      this.onError(error);
    } catch {
      // An onError that throws must not turn a failed checkpoint into an unhandled rejection.
    }
  }
}

function isSigner(key: KeyObject | CheckpointSigner): key is CheckpointSigner {
  return (
    typeof (key as CheckpointSigner).sign === 'function' && typeof (key as CheckpointSigner).kid === 'string'
  );
}

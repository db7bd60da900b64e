// A silo agent's local audit log: an append-only JSON Lines file (records.ts) next to its other state. Each
// batch is written with one write and fsync'd before the append resolves, so an acknowledged entry survives a
// crash; an interrupted write leaves an incomplete last line, which open() refuses to build on.
import { open as openFile, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { AuditError, errorCodeOf, messageOf } from './audit-error.js';
import { createCheckpoint, type AuditCheckpoint, type CheckpointSigner } from './checkpoint.js';
import { chainEntries, EMPTY_HEAD, type AuditDraft, type AuditEntry, type AuditHead } from './entry.js';
import { fileLines } from './lines.js';
import {
  AUDIT_FORMAT,
  checkpointLine,
  entryLine,
  headerLine,
  parseRecordLine,
  type AuditRecord,
} from './records.js';
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

export interface FileAuditStoreOptions {
  /**
   * Cut off an incomplete last line instead of refusing to open. Safe in the sense that the cut bytes were
   * never acknowledged (appends resolve only after their write and fsync completed), but it discards them,
   * so it is a decision for the operator, not a default.
   */
  truncateTornTail?: boolean;
  /** A clock for the header of a new file. */
  now?: () => Date;
}

// Owner read-write, group read: compliance tooling may run under the agent's group; nobody else reads it.
const FILE_MODE = 0o640;

export class FileAuditStore implements AuditStore {
  private readonly queue = new SerialQueue();
  private broken: Error | undefined;
  private closed = false;

  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    private size: number,
    private currentHead: AuditHead,
    private last: AuditCheckpoint | null,
    // Hashes of the entries after the last checkpoint: what the next checkpoint's Merkle root covers.
    private tail: string[],
  ) {}

  /**
   * Opens the log at `path`, creating it (with its header line) when missing. Reads the whole file once to
   * find the head and the last checkpoint, checking that every line is a record and that seqs run on;
   * FILE_TORN when the last line is incomplete, FILE_CORRUPT for any other bad line, each naming the line.
   * Only one process may write a log file at a time.
   */
  static async open(path: string, options: FileAuditStoreOptions = {}): Promise<FileAuditStore> {
    await createIfMissing(path, options.now ?? (() => new Date()));
    let scan = await scanFile(path);
    if (scan.torn) {
      const { number, offset, bytes } = scan.torn;
      if (!options.truncateTornTail) {
        throw new AuditError(
          'FILE_TORN',
          `${path}: line ${number} (bytes ${offset}–${offset + bytes - 1}) is incomplete, so a write was interrupted. ` +
            `Its ${bytes} bytes were never acknowledged. Keep a copy of the file, then cut them off ` +
            `(truncate -s ${offset} ${path}) or open with truncateTornTail.`,
        );
      }
      await truncateTo(path, offset);
      if (offset === 0) await createIfMissing(path, options.now ?? (() => new Date()));
      scan = await scanFile(path);
    }
    let handle: FileHandle;
    try {
      handle = await openFile(path, 'a', FILE_MODE);
    } catch (cause) {
      throw new AuditError('FILE_IO', `cannot open audit log ${path} for appending: ${messageOf(cause)}`, {
        cause,
      });
    }
    return new FileAuditStore(path, handle, scan.size, scan.head, scan.last, scan.tail);
  }

  append(drafts: readonly AuditDraft[]): Promise<AuditEntry[]> {
    if (drafts.length === 0) return Promise.resolve([]);
    return this.queue.run(async () => {
      this.assertUsable();
      const entries = chainEntries(this.currentHead, drafts);
      await this.write(entries.map((e) => entryLine(e) + '\n').join(''));
      const last = entries[entries.length - 1];
      this.currentHead = { seq: last.seq, hash: last.hash };
      for (const e of entries) this.tail.push(e.hash);
      return entries;
    });
  }

  checkpoint(signer: CheckpointSigner, time: string): Promise<AuditCheckpoint | null> {
    return this.queue.run(async () => {
      this.assertUsable();
      const checkpoint = await createCheckpoint({
        previous: this.last,
        head: this.currentHead,
        hashes: this.tail,
        time,
        signer,
      });
      if (!checkpoint) return null;
      await this.write(checkpointLine(checkpoint) + '\n');
      this.last = checkpoint;
      this.tail = [];
      return checkpoint;
    });
  }

  head(): Promise<AuditHead> {
    return Promise.resolve({ ...this.currentHead });
  }

  lastCheckpoint(): Promise<AuditCheckpoint | null> {
    return Promise.resolve(this.last ? { ...this.last } : null);
  }

  async listEntries(filter?: AuditFilter, page?: AuditPage): Promise<AuditEntry[]> {
    const f = normaliseFilter(filter);
    const { afterSeq, limit } = normalisePage(page);
    const out: AuditEntry[] = [];
    for await (const record of this.records()) {
      if (record.type !== 'entry' || record.entry.seq <= afterSeq || !matchesFilter(record.entry, f))
        continue;
      out.push(record.entry);
      if (out.length === limit) break;
    }
    return out;
  }

  async listCheckpoints(query: CheckpointQuery = {}): Promise<AuditCheckpoint[]> {
    const { afterSeq, limit } = normalisePage(query);
    const overlap = normaliseOverlap(query);
    const out: AuditCheckpoint[] = [];
    for await (const record of this.records()) {
      if (record.type !== 'checkpoint') continue;
      const c = record.checkpoint;
      if (c.seq <= afterSeq || (overlap && (c.toSeq < overlap.fromSeq || c.fromSeq > overlap.toSeq)))
        continue;
      out.push(c);
      if (out.length === limit) break;
    }
    return out;
  }

  async count(filter?: AuditFilter): Promise<number> {
    const f = normaliseFilter(filter);
    let n = 0;
    for await (const record of this.records())
      if (record.type === 'entry' && matchesFilter(record.entry, f)) n++;
    return n;
  }

  /** Waits for pending writes and closes the file. */
  close(): Promise<void> {
    return this.queue.run(async () => {
      if (this.closed) return;
      this.closed = true;
      await this.handle.close();
    });
  }

  private assertUsable(): void {
    if (this.closed) throw new AuditError('LOG_CLOSED', `the audit log ${this.path} is closed`);
    if (this.broken) {
      throw new AuditError(
        'LOG_CLOSED',
        `a write to ${this.path} failed (${this.broken.message}); reopen the log to re-read what is on disk`,
        { cause: this.broken },
      );
    }
  }

  private async write(text: string): Promise<void> {
    const bytes = Buffer.from(text, 'utf8');
    try {
      await this.handle.writeFile(bytes);
      await this.handle.datasync();
    } catch (cause) {
      // Part of the batch may be on disk: the in-memory head can no longer be trusted.
      this.broken = cause instanceof Error ? cause : new Error(String(cause));
      throw new AuditError('FILE_IO', `cannot write audit log ${this.path}: ${messageOf(cause)}`, { cause });
    }
    this.size += bytes.byteLength;
  }

  // Reads only the bytes of completed writes, so a scan never sees a batch that is being written.
  private async *records(): AsyncGenerator<AuditRecord> {
    for await (const line of fileLines(this.path, this.size)) {
      if (line.number === 1) continue;
      yield parseLine(this.path, line.text, line.number);
    }
  }
}

interface Scan {
  size: number;
  head: AuditHead;
  last: AuditCheckpoint | null;
  tail: string[];
  torn?: { number: number; offset: number; bytes: number };
}

async function scanFile(path: string): Promise<Scan> {
  const scan: Scan = { size: 0, head: { ...EMPTY_HEAD }, last: null, tail: [] };
  try {
    for await (const line of fileLines(path)) {
      const bytes = Buffer.byteLength(line.text, 'utf8');
      if (!line.terminated) {
        scan.torn = { number: line.number, offset: line.offset, bytes };
        break;
      }
      scan.size = line.offset + bytes + 1;
      const record = parseLine(path, line.text, line.number);
      if (line.number === 1) {
        if (record.type !== 'header' || record.header.kind !== 'log') {
          throw corrupt(path, 1, `the first line must be a ${AUDIT_FORMAT} log header`);
        }
        continue;
      }
      if (record.type === 'entry') {
        if (record.entry.seq !== scan.head.seq + 1) {
          throw corrupt(path, line.number, `entry ${record.entry.seq} follows entry ${scan.head.seq}`);
        }
        scan.head = { seq: record.entry.seq, hash: record.entry.hash };
        scan.tail.push(record.entry.hash);
      } else if (record.type === 'checkpoint') {
        const c = record.checkpoint;
        const expected = {
          seq: (scan.last?.seq ?? 0) + 1,
          fromSeq: (scan.last?.toSeq ?? 0) + 1,
          toSeq: scan.head.seq,
        };
        if (c.seq !== expected.seq || c.fromSeq !== expected.fromSeq || c.toSeq !== expected.toSeq) {
          throw corrupt(
            path,
            line.number,
            `checkpoint ${c.seq} covers ${c.fromSeq}–${c.toSeq}; expected checkpoint ${expected.seq} over ${expected.fromSeq}–${expected.toSeq}`,
          );
        }
        scan.last = c;
        scan.tail = [];
      } else {
        throw corrupt(path, line.number, `a log file holds no ${record.type} records`);
      }
    }
  } catch (cause) {
    if (cause instanceof AuditError) throw cause;
    throw new AuditError('FILE_IO', `cannot read audit log ${path}: ${messageOf(cause)}`, { cause });
  }
  return scan;
}

function parseLine(path: string, text: string, number: number): AuditRecord {
  try {
    return parseRecordLine(text);
  } catch (cause) {
    throw corrupt(path, number, messageOf(cause));
  }
}

function corrupt(path: string, line: number, problem: string): AuditError {
  return new AuditError('FILE_CORRUPT', `${path}: line ${line}: ${problem}`);
}

/** Creates the file with its header line, durably (file and folder entry), unless it exists with content. */
async function createIfMissing(path: string, now: () => Date): Promise<void> {
  let handle: FileHandle;
  try {
    handle = await openFile(path, 'a+', FILE_MODE);
  } catch (cause) {
    throw new AuditError('FILE_IO', `cannot open audit log ${path}: ${messageOf(cause)}`, { cause });
  }
  try {
    if ((await handle.stat()).size > 0) return;
    const header = headerLine({ format: AUDIT_FORMAT, kind: 'log', createdAt: now().toISOString() });
    await handle.writeFile(header + '\n');
    await handle.sync();
  } catch (cause) {
    throw new AuditError('FILE_IO', `cannot create audit log ${path}: ${messageOf(cause)}`, { cause });
  } finally {
    await handle.close();
  }
  await syncFolder(dirname(path));
}

// Without this a crash soon after creation can lose the new file's name even though its data was synced.
async function syncFolder(folder: string): Promise<void> {
  let dir: FileHandle | undefined;
  try {
    dir = await openFile(folder, 'r');
    await dir.sync();
  } catch (cause) {
    // Some platforms (Windows) cannot open or sync a folder; the file's own sync is all they offer.
    const code = errorCodeOf(cause);
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL' && code !== 'EBADF') throw cause;
  } finally {
    await dir?.close();
  }
}

async function truncateTo(path: string, size: number): Promise<void> {
  const handle = await openFile(path, 'r+');
  try {
    await handle.truncate(size);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

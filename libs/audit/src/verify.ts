// Offline verification of an audit log: every entry's hash, every link of the chain, the sequence, and each
// checkpoint's signature, chain link, head and Merkle root. Entries stream through once (hashing as they
// pass, one Merkle accumulator per checkpoint range), so memory does not grow with the log.
import { AuditError } from './audit-error.js';
import {
  checkpointHash,
  checkpointSignatureProblem,
  keyResolver,
  type AuditCheckpoint,
  type AuditPublicKeys,
} from './checkpoint.js';
import { entryHash, GENESIS_HASH, type AuditEntry } from './entry.js';
import { MerkleAccumulator } from './merkle.js';
import { readCheckpoints, readEntries, type AuditStore } from './store.js';

export type AuditFaultCode =
  /** An entry is not an entry (no integer seq): the input is damaged rather than edited. */
  | 'ENTRY_MALFORMED'
  /** An entry's fields do not hash to its stored hash: a field (or the hash) was changed. */
  | 'HASH_MISMATCH'
  /** An entry's prevHash is not its predecessor's hash: an entry was replaced together with its hash. */
  | 'CHAIN_BROKEN'
  /** A seq is missing: `seq` is the first missing one (also when the entries end before a checkpoint's end). */
  | 'SEQUENCE_GAP'
  /** Entries are out of order or repeated: `seq` is the lowest seq found out of its place. */
  | 'SEQUENCE_ORDER'
  /** A checkpoint's signature is forged, by an untrusted key, or over other claims than its fields. */
  | 'CHECKPOINT_SIGNATURE'
  /** A checkpoint's prevCheckpointHash does not name the previous checkpoint: one was replaced. */
  | 'CHECKPOINT_CHAIN'
  /** A checkpoint is missing (`checkpointSeq` is the missing number) or entries lie between two checkpoints. */
  | 'CHECKPOINT_GAP'
  /** Checkpoints out of order, repeated, or covering overlapping ranges. */
  | 'CHECKPOINT_ORDER'
  /** A checkpoint's range is empty or reversed. */
  | 'CHECKPOINT_MALFORMED'
  /** The entry at a checkpoint's toSeq does not have the signed head hash. */
  | 'CHECKPOINT_HEAD'
  /** The entries of a checkpoint's range do not have the signed Merkle root. */
  | 'CHECKPOINT_MERKLE';

export interface AuditFault {
  code: AuditFaultCode;
  /** The first entry whose integrity this fault leaves unproven. */
  seq?: number;
  /** The checkpoint concerned, or the missing checkpoint number for CHECKPOINT_GAP. */
  checkpointSeq?: number;
  message: string;
}

export interface AuditVerification {
  ok: boolean;
  /** True when the entries were a selection: only each entry's own hash and the checkpoints could be checked. */
  partial: boolean;
  /** Entries read (up to the fault when there is one). */
  entries: number;
  /** Checkpoints whose signature and link were checked and held. */
  checkpoints: number;
  /** Entries whose checkpoint's head and Merkle root were checked and held. */
  coveredEntries: number;
  /** Entries after the last checkpoint: protected by the hash chain only, which whoever holds the log could rewrite. */
  uncheckpointedTail: number;
  lastSeq?: number;
  headHash?: string;
  /** fault.seq, when known. */
  firstBrokenSeq?: number;
  fault?: AuditFault;
}

export interface VerifyAuditOptions {
  entries: AsyncIterable<AuditEntry> | Iterable<AuditEntry>;
  checkpoints: AsyncIterable<AuditCheckpoint> | Iterable<AuditCheckpoint>;
  /** Keys trusted to sign checkpoints. */
  publicKeys: AuditPublicKeys;
  /**
   * The seq of the first entry supplied (default 1). Above 1, the first entry's prevHash is taken on trust,
   * and it must be a checkpoint boundary (a checkpoint's toSeq + 1) so that every checkpoint can be checked
   * whole; checkpoints ending before it are still checked for signature and chain.
   */
  expectFirstSeq?: number;
  /**
   * The entries are a selection (a filtered export): gaps are expected. Each entry's own hash is checked, a
   * link where two consecutive seqs are present, the head hash where a checkpoint's last entry is present, the
   * Merkle root where a checkpoint's whole range is present, and every checkpoint's signature and link.
   */
  partial?: boolean;
}

/** Verifies a log; never throws for a damaged log (the fault says what and where), only for bad arguments. */
export async function verifyAudit(options: VerifyAuditOptions): Promise<AuditVerification> {
  const first = options.expectFirstSeq ?? 1;
  if (!Number.isSafeInteger(first) || first < 1) {
    throw new AuditError(
      'INVALID_ARGUMENT',
      `expectFirstSeq must be a positive integer, got ${String(first)}`,
    );
  }
  const partial = options.partial ?? false;
  const checkpoints = await checkCheckpoints(options.checkpoints, options.publicKeys, first, partial);
  const run = partial ? new PartialRun(checkpoints) : new FullRun(checkpoints, first);
  const source = pull(options.entries);
  try {
    await drain(source, (entry) => run.step(entry));
    const searching = run.searching;
    if (searching !== undefined) {
      // A seq was skipped; the rest of the same stream says whether it comes later (reordered) or never.
      await drain(source, (entry) => searching.step(entry));
      run.fail(searching.fault());
    }
  } finally {
    await source.close();
  }
  return run.finish();
}

type Pull =
  | { sync: false; next(): Promise<IteratorResult<AuditEntry>>; close(): Promise<void> }
  | { sync: true; next(): IteratorResult<AuditEntry>; close(): Promise<void> };

// One iterator for the whole verification: a for-of loop would close a generator when it stops, and restart
// an array, so the look-ahead after a skipped seq could not continue where the first pass stopped.
function pull(entries: AsyncIterable<AuditEntry> | Iterable<AuditEntry>): Pull {
  if (Symbol.asyncIterator in entries) {
    const iterator = entries[Symbol.asyncIterator]();
    return { sync: false, next: () => iterator.next(), close: async () => void (await iterator.return?.()) };
  }
  const iterator = entries[Symbol.iterator]();
  return { sync: true, next: () => iterator.next(), close: () => Promise.resolve(void iterator.return?.()) };
}

async function drain(source: Pull, step: (entry: AuditEntry) => boolean): Promise<void> {
  for (;;) {
    // Sync sources are read without a microtask per entry.
    const result = source.sync ? source.next() : await source.next();
    if (result.done || !step(result.value)) return;
  }
}

/** Verifies everything a store holds, from entry 1. */
export function verifyAuditStore(store: AuditStore, publicKeys: AuditPublicKeys): Promise<AuditVerification> {
  return verifyAudit({ entries: readEntries(store), checkpoints: readCheckpoints(store), publicKeys });
}

interface CheckedCheckpoints {
  /** Checkpoints that held, in order. */
  trusted: AuditCheckpoint[];
  /** The first checkpoint fault; entries from its seq on are not reported as covered. */
  fault?: AuditFault;
}

async function checkCheckpoints(
  source: AsyncIterable<AuditCheckpoint> | Iterable<AuditCheckpoint>,
  publicKeys: AuditPublicKeys,
  firstSeq: number,
  partial: boolean,
): Promise<CheckedCheckpoints> {
  const resolve = keyResolver(publicKeys);
  const trusted: AuditCheckpoint[] = [];
  const fail = (fault: AuditFault): CheckedCheckpoints => ({ trusted, fault });
  let previous: AuditCheckpoint | undefined;
  for await (const cp of source) {
    if (!isCheckpointLike(cp)) {
      return fail({
        code: 'CHECKPOINT_MALFORMED',
        seq: previous ? previous.toSeq + 1 : firstSeq,
        message: 'a checkpoint record is not a checkpoint',
      });
    }
    const where = `checkpoint ${cp.seq} (entries ${cp.fromSeq}–${cp.toSeq})`;
    if (cp.toSeq < cp.fromSeq) {
      return fail({
        code: 'CHECKPOINT_MALFORMED',
        seq: cp.fromSeq,
        checkpointSeq: cp.seq,
        message: `${where} ends before it starts`,
      });
    }
    const problem = await checkpointSignatureProblem(cp, resolve);
    if (problem !== null) {
      return fail({
        code: 'CHECKPOINT_SIGNATURE',
        seq: cp.fromSeq,
        checkpointSeq: cp.seq,
        message: `${where}: ${problem}`,
      });
    }
    if (cp.fromSeq < firstSeq && cp.toSeq >= firstSeq && !partial) {
      throw new AuditError(
        'INVALID_ARGUMENT',
        `expectFirstSeq ${firstSeq} falls inside ${where}; start at a checkpoint boundary such as ${cp.fromSeq} or ${cp.toSeq + 1}`,
      );
    }
    if (previous === undefined) {
      if (cp.seq === 1) {
        if (cp.prevCheckpointHash !== GENESIS_HASH) {
          return fail({
            code: 'CHECKPOINT_CHAIN',
            seq: cp.fromSeq,
            checkpointSeq: 1,
            message: `${where} does not start the checkpoint chain (its prevCheckpointHash is not zero)`,
          });
        }
        if (cp.fromSeq !== 1) {
          return fail({
            code: 'CHECKPOINT_GAP',
            seq: 1,
            checkpointSeq: 1,
            message: `${where} is the first checkpoint but does not start at entry 1`,
          });
        }
      } else if (firstSeq === 1 && !partial) {
        return fail({
          code: 'CHECKPOINT_GAP',
          seq: 1,
          checkpointSeq: 1,
          message: `checkpoints 1–${cp.seq - 1} are missing: the first checkpoint supplied is ${where}`,
        });
      }
    } else {
      const link = linkProblem(previous, cp, partial);
      if (link) return fail(link);
    }
    trusted.push(cp);
    previous = cp;
  }
  return { trusted };
}

function linkProblem(
  previous: AuditCheckpoint,
  cp: AuditCheckpoint,
  partial: boolean,
): AuditFault | undefined {
  const where = `checkpoint ${cp.seq} (entries ${cp.fromSeq}–${cp.toSeq})`;
  if (cp.seq <= previous.seq || cp.fromSeq <= previous.toSeq) {
    return {
      code: 'CHECKPOINT_ORDER',
      seq: Math.min(cp.fromSeq, previous.toSeq + 1),
      checkpointSeq: cp.seq,
      message: `${where} follows checkpoint ${previous.seq} (entries ${previous.fromSeq}–${previous.toSeq}): checkpoints are repeated, reordered or overlap`,
    };
  }
  if (cp.seq > previous.seq + 1) {
    // A selection carries only the checkpoints overlapping its entries; their links cannot all be checked.
    if (partial) return undefined;
    const missing = previous.seq + 1;
    return {
      code: 'CHECKPOINT_GAP',
      seq: previous.toSeq + 1,
      checkpointSeq: missing,
      message: `checkpoint ${missing} is missing: entries ${previous.toSeq + 1}–${cp.fromSeq - 1} are covered by no checkpoint`,
    };
  }
  if (cp.prevCheckpointHash !== checkpointHash(previous)) {
    return {
      code: 'CHECKPOINT_CHAIN',
      seq: cp.fromSeq,
      checkpointSeq: cp.seq,
      message: `${where} does not name checkpoint ${previous.seq} as its predecessor: a checkpoint was replaced`,
    };
  }
  if (cp.fromSeq !== previous.toSeq + 1) {
    return {
      code: 'CHECKPOINT_GAP',
      seq: previous.toSeq + 1,
      checkpointSeq: cp.seq,
      message: `entries ${previous.toSeq + 1}–${cp.fromSeq - 1} lie between checkpoints ${previous.seq} and ${cp.seq} and are covered by neither`,
    };
  }
  return undefined;
}

function isCheckpointLike(cp: unknown): cp is AuditCheckpoint {
  if (typeof cp !== 'object' || cp === null) return false;
  const c = cp as Record<string, unknown>;
  return ['seq', 'fromSeq', 'toSeq'].every((k) => Number.isSafeInteger(c[k]) && (c[k] as number) >= 1);
}

/** Looks for a skipped seq in the rest of the stream. */
class SkipSearch {
  private found = false;

  constructor(
    private readonly missing: number,
    private readonly seenInstead: number,
  ) {}

  step(entry: AuditEntry): boolean {
    if (entry?.seq === this.missing) this.found = true;
    return !this.found;
  }

  fault(): AuditFault {
    return this.found
      ? {
          code: 'SEQUENCE_ORDER',
          seq: this.missing,
          message: `entry ${this.missing} appears after entry ${this.seenInstead}: entries are out of order`,
        }
      : {
          code: 'SEQUENCE_GAP',
          seq: this.missing,
          message: `entry ${this.missing} is missing (the next entry is ${this.seenInstead})`,
        };
  }
}

abstract class Run {
  protected count = 0;
  protected lastSeq?: number;
  protected headHash?: string;
  protected covered = 0;
  protected lastCoveredSeq = 0;
  protected fault?: AuditFault;
  searching?: SkipSearch;

  constructor(protected readonly checkpoints: CheckedCheckpoints) {}

  /** Takes the next entry; false to stop reading. */
  abstract step(entry: AuditEntry): boolean;

  fail(fault: AuditFault): false {
    this.fault ??= fault;
    return false;
  }

  protected ownHashProblem(entry: AuditEntry): AuditFault | undefined {
    let computed: string;
    try {
      computed = entryHash(entry);
    } catch (error) {
      return {
        code: 'HASH_MISMATCH',
        seq: entry.seq,
        message: `entry ${entry.seq} cannot be hashed: ${(error as Error).message}`,
      };
    }
    if (computed !== entry.hash) {
      return {
        code: 'HASH_MISMATCH',
        seq: entry.seq,
        message: `entry ${entry.seq} does not match its hash: one of its fields or its hash was changed`,
      };
    }
    return undefined;
  }

  protected checkpointEnd(
    cp: AuditCheckpoint,
    entry: AuditEntry,
    tree: MerkleAccumulator | undefined,
  ): boolean {
    const where = `checkpoint ${cp.seq} (entries ${cp.fromSeq}–${cp.toSeq})`;
    if (entry.hash !== cp.headHash) {
      return this.fail({
        code: 'CHECKPOINT_HEAD',
        seq: cp.fromSeq,
        checkpointSeq: cp.seq,
        message: `${where} was signed over head hash ${cp.headHash}, but entry ${cp.toSeq} has ${entry.hash}: entries in that range were rewritten`,
      });
    }
    if (tree !== undefined && tree.root() !== cp.merkleRoot) {
      return this.fail({
        code: 'CHECKPOINT_MERKLE',
        seq: cp.fromSeq,
        checkpointSeq: cp.seq,
        message: `the entries of ${where} do not have its signed Merkle root: entries in that range were rewritten`,
      });
    }
    if (tree !== undefined) this.covered += tree.size;
    this.lastCoveredSeq = cp.toSeq;
    return true;
  }

  finish(): AuditVerification {
    if (!this.fault && this.checkpoints.fault) this.fault = this.checkpoints.fault;
    this.endOfEntries();
    const lastCheckpoint = this.checkpoints.trusted.at(-1);
    const tailStart = Math.max(this.lastCoveredSeq, lastCheckpoint?.toSeq ?? 0);
    const result: AuditVerification = {
      ok: this.fault === undefined,
      partial: this instanceof PartialRun,
      entries: this.count,
      checkpoints:
        this.fault?.checkpointSeq !== undefined
          ? this.checkpoints.trusted.filter((c) => c.seq < this.fault!.checkpointSeq!).length
          : this.checkpoints.trusted.length,
      coveredEntries: this.covered,
      uncheckpointedTail: this.tailCount(tailStart),
    };
    if (this.lastSeq !== undefined) result.lastSeq = this.lastSeq;
    if (this.headHash !== undefined) result.headHash = this.headHash;
    if (this.fault) {
      result.fault = this.fault;
      if (this.fault.seq !== undefined) result.firstBrokenSeq = this.fault.seq;
    }
    return result;
  }

  protected abstract endOfEntries(): void;
  protected abstract tailCount(afterSeq: number): number;

  /** Whether `seq` lies at or beyond the first broken checkpoint, so the checkpoint fault comes first. */
  protected pastCheckpointFault(seq: number): boolean {
    const fault = this.checkpoints.fault;
    return fault?.seq !== undefined && seq >= fault.seq;
  }
}

class FullRun extends Run {
  private expected: number;
  private prevHash: string | undefined;
  private rangeIndex: number;
  private tree = new MerkleAccumulator();

  constructor(checkpoints: CheckedCheckpoints, firstSeq: number) {
    super(checkpoints);
    this.expected = firstSeq;
    this.prevHash = firstSeq === 1 ? GENESIS_HASH : undefined;
    this.rangeIndex = checkpoints.trusted.findIndex((c) => c.toSeq >= firstSeq);
    if (this.rangeIndex < 0) this.rangeIndex = checkpoints.trusted.length;
    this.lastCoveredSeq = firstSeq - 1;
  }

  step(entry: AuditEntry): boolean {
    if (typeof entry?.seq !== 'number' || !Number.isSafeInteger(entry.seq)) {
      return this.fail({
        code: 'ENTRY_MALFORMED',
        seq: this.expected,
        message: `the entry after ${this.expected - 1} has no integer seq`,
      });
    }
    if (entry.seq !== this.expected) {
      if (entry.seq < this.expected) {
        return this.fail({
          code: 'SEQUENCE_ORDER',
          seq: entry.seq,
          message: `entry ${entry.seq} appears again after entry ${this.expected - 1}: entries are repeated or out of order`,
        });
      }
      if (this.pastCheckpointFault(this.expected)) return false;
      this.searching = new SkipSearch(this.expected, entry.seq);
      return false;
    }
    if (this.pastCheckpointFault(entry.seq)) return false;
    this.count++;
    const own = this.ownHashProblem(entry);
    if (own) return this.fail(own);
    if (this.prevHash !== undefined && entry.prevHash !== this.prevHash) {
      return this.fail({
        code: 'CHAIN_BROKEN',
        seq: entry.seq,
        message: `entry ${entry.seq} does not link to entry ${entry.seq - 1} (its prevHash differs): an entry was replaced or removed`,
      });
    }
    this.prevHash = entry.hash;
    this.lastSeq = entry.seq;
    this.headHash = entry.hash;
    this.expected++;
    const cp = this.checkpoints.trusted[this.rangeIndex];
    if (cp !== undefined && entry.seq >= cp.fromSeq) {
      this.tree.push(entry.hash);
      if (entry.seq === cp.toSeq) {
        if (!this.checkpointEnd(cp, entry, this.tree)) return false;
        this.tree = new MerkleAccumulator();
        this.rangeIndex++;
      }
    }
    return true;
  }

  protected endOfEntries(): void {
    if (this.fault) return;
    const cp = this.checkpoints.trusted[this.rangeIndex];
    if (cp !== undefined) {
      this.fail({
        code: 'SEQUENCE_GAP',
        seq: this.expected,
        checkpointSeq: cp.seq,
        message: `entries ${this.expected}–${cp.toSeq} are missing: the log ends at ${this.expected - 1}, but checkpoint ${cp.seq} covers up to ${cp.toSeq}`,
      });
    }
  }

  protected tailCount(afterSeq: number): number {
    return this.lastSeq === undefined ? 0 : Math.max(0, this.lastSeq - afterSeq);
  }
}

class PartialRun extends Run {
  private previous: AuditEntry | undefined;
  private rangeIndex = 0;
  private tree: MerkleAccumulator | undefined;
  private tail = 0;

  step(entry: AuditEntry): boolean {
    if (typeof entry?.seq !== 'number' || !Number.isSafeInteger(entry.seq)) {
      return this.fail({
        code: 'ENTRY_MALFORMED',
        message: `the entry after ${this.lastSeq ?? 0} has no integer seq`,
      });
    }
    if (this.previous !== undefined && entry.seq <= this.previous.seq) {
      return this.fail({
        code: 'SEQUENCE_ORDER',
        seq: entry.seq,
        message: `entry ${entry.seq} appears after entry ${this.previous.seq}: entries are repeated or out of order`,
      });
    }
    if (this.pastCheckpointFault(entry.seq)) return false;
    this.count++;
    const own = this.ownHashProblem(entry);
    if (own) return this.fail(own);
    if (
      this.previous !== undefined &&
      entry.seq === this.previous.seq + 1 &&
      entry.prevHash !== this.previous.hash
    ) {
      return this.fail({
        code: 'CHAIN_BROKEN',
        seq: entry.seq,
        message: `entry ${entry.seq} does not link to entry ${entry.seq - 1} (its prevHash differs)`,
      });
    }
    const trusted = this.checkpoints.trusted;
    while (trusted[this.rangeIndex] !== undefined && trusted[this.rangeIndex].toSeq < entry.seq) {
      this.rangeIndex++;
      this.tree = undefined;
    }
    const cp = trusted[this.rangeIndex];
    if (cp !== undefined && entry.seq >= cp.fromSeq) {
      // The Merkle root is checkable only when the whole range is present, starting from its first entry.
      if (entry.seq === cp.fromSeq) this.tree = new MerkleAccumulator();
      else if (this.previous?.seq !== entry.seq - 1) this.tree = undefined;
      this.tree?.push(entry.hash);
      if (entry.seq === cp.toSeq) {
        if (!this.checkpointEnd(cp, entry, this.tree)) return false;
        this.tree = undefined;
        this.rangeIndex++;
      }
    } else if (cp === undefined) {
      this.tail++;
    }
    this.previous = entry;
    this.lastSeq = entry.seq;
    this.headHash = entry.hash;
    return true;
  }

  protected endOfEntries(): void {
    // A selection may legitimately end anywhere.
  }

  protected tailCount(): number {
    return this.tail;
  }
}

// Audit entries and their hash chain. Each entry's hash covers its own fields and its predecessor's hash, so
// changing, removing or reordering any stored entry breaks every later link (README.md, "Entry hash").
import { AUDIT_ACTION_PATTERN, type AuditAction } from './actions.js';
import { AuditError } from './audit-error.js';
import { canonicalJson, isPlainObject, type JsonObject } from './canonical-json.js';
import { sha256Hex } from './sha256.js';

/** The prevHash of entry 1 (and the prevCheckpointHash of checkpoint 1): 32 zero bytes in hex. */
export const GENESIS_HASH = '0'.repeat(64);
/** The leading field of every entry hash, so an entry hash can never pass for another kind of digest. */
export const ENTRY_HASH_TAG = 'cohort/v1/audit-entry';

export interface AuditEntry {
  /** 1-based, contiguous within one log. */
  seq: number;
  /** ISO-8601 UTC with milliseconds, e.g. 2025-03-01T12:00:00.000Z. */
  time: string;
  /** Who or what acted: "user:alice", "silo:cleveland", "aggregator", "gateway". */
  actor: string;
  /** Dotted lowercase, e.g. "job.submitted". */
  action: string;
  /** What it was done to: "job:<uuid>", "silo:<name>". */
  subject: string;
  details: JsonObject;
  /** Hash of entry seq − 1; GENESIS_HASH for seq 1. */
  prevHash: string;
  /** Lowercase hex SHA-256 of this entry's canonical encoding. */
  hash: string;
}

/** The last entry of a log; { seq: 0, hash: GENESIS_HASH } when it is empty. */
export interface AuditHead {
  seq: number;
  hash: string;
}

export const EMPTY_HEAD: Readonly<AuditHead> = Object.freeze({ seq: 0, hash: GENESIS_HASH });

export interface AuditEntryInput {
  actor: string;
  action: AuditAction;
  subject: string;
  /** Plain JSON values only; defaults to {}. */
  details?: Record<string, unknown>;
  /** Defaults to the time of the append call. */
  time?: string | Date;
}

/** A checked entry waiting for its place in the chain: what stores append. */
export interface AuditDraft {
  readonly time: string;
  readonly actor: string;
  readonly action: string;
  readonly subject: string;
  readonly details: JsonObject;
}

const HEX64 = /^[0-9a-f]{64}$/;
const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const MAX_NAME_LENGTH = 512;
const MAX_ACTION_LENGTH = 128;

// Drafts made by prepareDraft are immutable and already checked; stores skip re-checking those.
const checkedDrafts = new WeakSet<AuditDraft>();

/**
 * Checks an entry input and returns an immutable draft with a normalised copy of its details (the caller
 * may change its object afterwards without changing what is hashed). Throws ENTRY_INVALID or DETAILS_INVALID.
 */
export function prepareDraft(input: AuditEntryInput, now: () => Date = () => new Date()): AuditDraft {
  if (typeof input !== 'object' || input === null) {
    throw new AuditError('ENTRY_INVALID', 'an audit entry must be an object');
  }
  const draft: AuditDraft = Object.freeze({
    time: normaliseTime(input.time ?? now(), 'time'),
    actor: checkName('actor', input.actor),
    action: checkAction(input.action),
    subject: checkName('subject', input.subject),
    details: checkDetails(input.details ?? {}),
  });
  checkedDrafts.add(draft);
  return draft;
}

/**
 * Gives each draft the next seq after `head` and links it to its predecessor. Pure: the caller must hold
 * whatever lock makes `head` the current head while it stores the result.
 */
export function chainEntries(head: AuditHead, drafts: readonly AuditDraft[]): AuditEntry[] {
  checkSeq('head seq', head.seq, 0);
  let prevHash = requireHash('head hash', head.hash);
  const entries: AuditEntry[] = [];
  for (const [i, given] of drafts.entries()) {
    const draft = checkedDrafts.has(given) ? given : prepareDraft(given);
    const unhashed = {
      seq: head.seq + 1 + i,
      time: draft.time,
      actor: draft.actor,
      action: draft.action,
      subject: draft.subject,
      details: draft.details,
      prevHash,
    };
    const hash = entryHash(unhashed);
    entries.push({ ...unhashed, hash });
    prevHash = hash;
  }
  return entries;
}

const TAG = Buffer.from(ENTRY_HASH_TAG, 'utf8');
// Entries are hashed one after another on one thread, so one growing scratch buffer serves them all.
let scratch = Buffer.allocUnsafe(4096);

/**
 * SHA-256 over field(tag) ‖ u64be(seq) ‖ field(time) ‖ field(actor) ‖ field(action) ‖ field(subject) ‖
 * field(canonical JSON of details) ‖ field(32 bytes of prevHash), where field(b) = u32be(len b) ‖ b and
 * strings are UTF-8. Throws if a field cannot be encoded (seq not a safe integer, prevHash not 64 hex).
 */
export function entryHash(entry: Omit<AuditEntry, 'hash'>): string {
  checkSeq('seq', entry.seq, 1);
  requireHash('prevHash', entry.prevHash);
  const texts = [entry.time, entry.actor, entry.action, entry.subject, canonicalJson(entry.details)];
  // A UTF-16 code unit is at most 3 UTF-8 bytes, so this bounds the encoding without measuring it first.
  let bound = 4 + TAG.byteLength + 8 + 4 + 32;
  for (const text of texts) {
    if (typeof text !== 'string')
      throw new AuditError('ENTRY_INVALID', `entry ${entry.seq} has a field that is not text`);
    bound += 4 + 3 * text.length;
  }
  if (scratch.byteLength < bound) scratch = Buffer.allocUnsafe(Math.max(bound, scratch.byteLength * 2));
  const out = scratch;
  let at = out.writeUInt32BE(TAG.byteLength, 0);
  at += TAG.copy(out, at);
  at = out.writeUInt32BE(Math.floor(entry.seq / 2 ** 32), at);
  at = out.writeUInt32BE(entry.seq >>> 0, at);
  for (const text of texts) {
    const bytes = out.write(text, at + 4, 'utf8');
    out.writeUInt32BE(bytes, at);
    at += 4 + bytes;
  }
  at = out.writeUInt32BE(32, at);
  at += out.write(entry.prevHash, at, 'hex');
  return sha256Hex(out.subarray(0, at));
}

/**
 * The shape of an entry read from outside (an export, a log file): the right fields with the right types.
 * Formats and hashes are deliberately not judged here: verifyAudit reports those as faults naming the seq.
 */
export function parseAuditEntry(value: unknown): AuditEntry {
  if (!isPlainObject(value)) throw new AuditError('ENTRY_INVALID', 'an audit entry must be a JSON object');
  const seq = value.seq;
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1) {
    throw new AuditError('ENTRY_INVALID', `seq must be a positive integer, got ${JSON.stringify(seq)}`);
  }
  const text = (name: string): string => {
    const field = value[name];
    if (typeof field !== 'string') {
      throw new AuditError('ENTRY_INVALID', `entry ${seq}: ${name} must be a string, got ${typeof field}`);
    }
    return field;
  };
  const details = value.details;
  if (!isPlainObject(details)) {
    throw new AuditError('ENTRY_INVALID', `entry ${seq}: details must be a JSON object`);
  }
  return {
    seq,
    time: text('time'),
    actor: text('actor'),
    action: text('action'),
    subject: text('subject'),
    details: details as JsonObject,
    prevHash: text('prevHash'),
    hash: text('hash'),
  };
}

/** The job and silo an entry concerns, for filtering: from details.jobId/siloId, else the subject, else
 * (silo only) the actor: "job:<id>", "silo:<name>". */
export function indexKeysOf(entry: Pick<AuditEntry, 'actor' | 'subject' | 'details'>): {
  jobId: string | null;
  siloId: string | null;
} {
  const { details } = entry;
  const jobId =
    typeof details.jobId === 'string' && details.jobId !== ''
      ? details.jobId
      : prefixed('job:', entry.subject);
  const siloId =
    typeof details.siloId === 'string' && details.siloId !== ''
      ? details.siloId
      : (prefixed('silo:', entry.subject) ?? prefixed('silo:', entry.actor));
  return { jobId, siloId };
}

function prefixed(prefix: string, value: string): string | null {
  return value.startsWith(prefix) && value.length > prefix.length ? value.slice(prefix.length) : null;
}

export function isHash(value: unknown): value is string {
  return typeof value === 'string' && HEX64.test(value);
}

export function requireHash(name: string, value: unknown): string {
  if (!isHash(value)) {
    throw new AuditError(
      'HASH_INVALID',
      `${name} must be 64 lowercase hex characters, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/** An instant as ISO-8601 UTC with milliseconds; a string must already be in exactly that form. */
export function normaliseTime(value: string | Date, name: string): string {
  if (value instanceof Date || Object.prototype.toString.call(value) === '[object Date]') {
    const ms = (value as Date).getTime();
    if (!Number.isFinite(ms)) throw new AuditError('ENTRY_INVALID', `${name} is an invalid Date`);
    return checkTimeText(name, new Date(ms).toISOString());
  }
  if (typeof value !== 'string') throw new AuditError('ENTRY_INVALID', `${name} must be a string or a Date`);
  return checkTimeText(name, value);
}

function checkTimeText(name: string, value: string): string {
  // A four-digit year keeps the text sortable and inside what PostgreSQL's timestamptz round-trips exactly.
  if (!ISO_MS.test(value) || value < '1000' || new Date(value).toISOString() !== value) {
    throw new AuditError(
      'ENTRY_INVALID',
      `${name} must be ISO-8601 UTC with milliseconds (YYYY-MM-DDTHH:MM:SS.sssZ, years 1000–9999), got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

function checkSeq(name: string, value: unknown, min: number): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new AuditError('ENTRY_INVALID', `${name} must be an integer ≥ ${min}, got ${String(value)}`);
  }
}

function checkName(name: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') {
    throw new AuditError('ENTRY_INVALID', `${name} must be a non-empty string`);
  }
  if (value.length > MAX_NAME_LENGTH) {
    throw new AuditError(
      'ENTRY_INVALID',
      `${name} is ${value.length} characters, more than ${MAX_NAME_LENGTH}`,
    );
  }
  // A leading =, +, - or @ would make a spreadsheet opening the CSV export run it as a formula.
  if (!/^[\p{L}\p{N}]/u.test(value)) {
    throw new AuditError(
      'ENTRY_INVALID',
      `${name} must start with a letter or digit, got ${JSON.stringify(value)}`,
    );
  }
  if (CONTROL.test(value) || LONE_SURROGATE.test(value)) {
    throw new AuditError(
      'ENTRY_INVALID',
      `${name} ${JSON.stringify(value)} contains a control character or malformed Unicode`,
    );
  }
  return value;
}

function checkAction(value: unknown): string {
  if (typeof value !== 'string' || value.length > MAX_ACTION_LENGTH || !AUDIT_ACTION_PATTERN.test(value)) {
    throw new AuditError(
      'ENTRY_INVALID',
      `action must be dotted lowercase words such as "job.submitted" (at most ${MAX_ACTION_LENGTH} characters), got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/**
 * Details must be a plain JSON object. PostgreSQL's jsonb refuses NUL characters and lone surrogates, so
 * they are refused here rather than failing a whole batch at insert. Returns a normalised deep copy.
 */
export function checkDetails(details: unknown): JsonObject {
  if (!isPlainObject(details)) {
    throw new AuditError('DETAILS_INVALID', 'details must be a plain JSON object, e.g. { "jobId": "…" }');
  }
  const text = canonicalJson(details);
  checkStrings(details, '$');
  return JSON.parse(text) as JsonObject;
}

function checkStrings(value: unknown, path: string): void {
  if (typeof value === 'string') {
    if (value.includes('\u0000') || LONE_SURROGATE.test(value)) {
      throw new AuditError(
        'DETAILS_INVALID',
        `details ${path} contains a NUL character or malformed Unicode`,
      );
    }
  } else if (Array.isArray(value)) {
    value.forEach((item, i) => checkStrings(item, `${path}[${i}]`));
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      checkStrings(key, `${path} key ${JSON.stringify(key)}`);
      checkStrings(item, `${path}.${key}`);
    }
  }
}

import type { Command } from 'commander';
import { createPublicKey, type KeyObject } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readFile, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  AUDIT_ACTION_PATTERN,
  AuditError,
  crossCheck,
  PostgresAuditStore,
  readAuditExport,
  verifyAuditExport,
  verifyAuditStore,
  type AuditExport,
  type AuditVerification,
  type CrossCheckResult,
} from '@cohort/audit';
import { fingerprintOfPublicKey, IDENTITY_KEY_FILE, publicKeyFromRaw } from '@cohort/identity';
import type { Database, Queryable } from '@cohort/storage';
import type { AuditEntryView, AuditPageView } from '../../../gateway/src/audit/audit-view.js';
import {
  connectGateway,
  DEFAULT_GATEWAY_URL,
  type AuditExportFormat,
  type AuditQuery,
} from '../gateway-client.js';
import { badArguments, CliError, formatTable, report } from '../output.js';

/** The file the aggregator writes its checkpoint key's public half to, in its audit key folder. */
const AGGREGATOR_PUBLIC_KEY_FILE = 'public.pem';
/** The silo agent keeps its identity key in this folder of its state folder. */
const SILO_IDENTITY_DIR = 'identity';
/** The gateway's largest page. */
const MAX_LIMIT = 10_000;
/** Characters of the details column in the table; the whole object is in --json. */
const DETAILS_WIDTH = 60;
// A PEM public key is a few hundred bytes; a larger file is not a key and is not read into memory.
const MAX_KEY_FILE_BYTES = 64 * 1024;
const HEX_KEY = /^[0-9a-fA-F]{64}$/;
/** Where a key lies in a folder given as --key: the aggregator's key folder, a silo's state folder, its identity folder. */
const KEY_FOLDER_FILES = [
  AGGREGATOR_PUBLIC_KEY_FILE,
  join(SILO_IDENTITY_DIR, IDENTITY_KEY_FILE),
  IDENTITY_KEY_FILE,
];
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

const PINNED_KEY_HINT =
  "checkpoint signatures can only be checked against a key you pinned: pass --key with the aggregator's " +
  `audit public key, <aggregator audit key dir>/${AGGREGATOR_PUBLIC_KEY_FILE} (written at every start; the key ` +
  "dir is audit-key/ beside the aggregator's data folder, .cohort/aggregator/audit-key by default), or, for a " +
  "silo's log, the silo's state folder";

// ---------------------------------------------------------------------------------------------------------
// Arguments

/** "job.submitted,update.accepted" → the list, each checked against the audit action pattern. */
export function parseActions(value: string): string[] {
  const actions = value.split(',').map((a) => a.trim());
  const bad = actions.filter((a) => !AUDIT_ACTION_PATTERN.test(a));
  if (actions.length === 0 || bad.length > 0) {
    throw badArguments(
      `--action takes one action or several separated by commas, each like job.submitted; not ${bad
        .map((a) => JSON.stringify(a))
        .join(', ')}`,
    );
  }
  return actions;
}

/** An ISO-8601 date or instant, returned as an ISO instant; exit 2 for anything else. */
export function parseInstant(option: string) {
  return (value: string): string => {
    const ms = ISO_INSTANT.test(value) ? Date.parse(value) : Number.NaN;
    if (Number.isNaN(ms)) {
      throw badArguments(
        `${option} must be an ISO-8601 date or time such as 2026-11-27 or 2026-11-27T10:00:00Z, got "${value}"`,
      );
    }
    return new Date(ms).toISOString();
  };
}

/** Digits only: Number() would also take "1e3" or " 7 ", which nobody means as a sequence number. */
export function parseAfterSeq(value: string): number {
  const n = /^\d{1,15}$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n)) throw badArguments(`--after-seq must be an integer ≥ 0, got "${value}"`);
  return n;
}

export function parseLimit(value: string): number {
  const n = /^\d{1,6}$/.test(value) ? Number(value) : Number.NaN;
  if (!(n >= 1 && n <= MAX_LIMIT))
    throw badArguments(`--limit must be an integer from 1 to ${MAX_LIMIT}, got "${value}"`);
  return n;
}

export function parseFormat(value: string): AuditExportFormat {
  if (value !== 'jsonl' && value !== 'csv')
    throw badArguments(`--format must be jsonl or csv, got "${value}"`);
  return value;
}

export function parseDatabaseUrl(value: string): string {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:')) {
    throw badArguments('--database-url must be a PostgreSQL URL such as postgres://user@host:5432/cohort');
  }
  return value;
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

interface FilterOptions {
  job?: string;
  silo?: string;
  actor?: string;
  subject?: string;
  action?: string[];
  since?: string;
  until?: string;
}

export function auditQueryOf(o: FilterOptions): AuditQuery {
  if (o.since !== undefined && o.until !== undefined && o.since >= o.until) {
    throw badArguments(`--since (${o.since}) must be before --until (${o.until})`);
  }
  return {
    ...(o.job === undefined ? {} : { jobId: o.job }),
    ...(o.silo === undefined ? {} : { siloId: o.silo }),
    ...(o.actor === undefined ? {} : { actor: o.actor }),
    ...(o.subject === undefined ? {} : { subject: o.subject }),
    ...(o.action === undefined ? {} : { actions: o.action }),
    ...(o.since === undefined ? {} : { since: o.since }),
    ...(o.until === undefined ? {} : { until: o.until }),
  };
}

function filterOptions(command: Command): Command {
  return command
    .option('--job <id>', 'entries about this job')
    .option('--silo <name>', 'entries about or by this silo')
    .option('--actor <actor>', 'entries by this actor, e.g. user:alice, silo:cleveland, aggregator')
    .option('--subject <subject>', 'entries about this subject, e.g. job:<id>, silo:<name>')
    .option('--action <a,b>', 'any of these actions, e.g. update.accepted,aggregate.released', parseActions)
    .option('--since <iso>', 'entries at or after this time', parseInstant('--since'))
    .option('--until <iso>', 'entries before this time', parseInstant('--until'))
    .option('--gateway <url>', `the gateway (default: COHORT_GATEWAY_URL, else ${DEFAULT_GATEWAY_URL})`);
}

// ---------------------------------------------------------------------------------------------------------
// Keys

/**
 * A checkpoint verification key from what a person has at hand: a PEM file (an SPKI public key, or a private
 * key whose public half is taken), a file or argument of 64 hex digits (a raw Ed25519 public key, as silos
 * enrol with), or a folder: an aggregator's audit key folder (public.pem), a silo's state folder
 * (identity/identity.key) or its identity folder (identity.key). Only the public half is kept.
 */
export async function loadPublicKey(spec: string): Promise<KeyObject> {
  const info = await stat(spec).catch(() => undefined);
  if (info === undefined) {
    if (HEX_KEY.test(spec)) return rawKey(spec, 'the --key value');
    throw badArguments(
      `--key ${spec}: no such file or folder; give a public key file (PEM), a raw public key in hex, or a key folder`,
    );
  }
  if (info.isDirectory()) {
    for (const name of KEY_FOLDER_FILES) {
      const path = join(spec, name);
      if (
        await stat(path)
          .then((s) => s.isFile())
          .catch(() => false)
      )
        return keyFromFile(path);
    }
    throw badArguments(
      `--key ${spec}: the folder holds none of ${KEY_FOLDER_FILES.join(', ')} (an aggregator's audit key folder, a silo's state or identity folder)`,
    );
  }
  if (info.size > MAX_KEY_FILE_BYTES)
    throw badArguments(`--key ${spec} is ${info.size} bytes, not a key file`);
  return keyFromFile(spec);
}

async function keyFromFile(path: string): Promise<KeyObject> {
  let text: string;
  try {
    text = (await readFile(path, 'utf8')).trim();
  } catch (err) {
    throw badArguments(`--key ${path} cannot be read: ${(err as Error).message}`);
  }
  if (HEX_KEY.test(text)) return rawKey(text, path);
  let key: KeyObject;
  try {
    key = createPublicKey(text);
  } catch {
    throw badArguments(`--key ${path} is neither a PEM key nor a raw public key in hex (64 digits)`);
  }
  try {
    fingerprintOfPublicKey(key);
  } catch (err) {
    throw badArguments(`--key ${path}: checkpoints are signed with Ed25519; ${(err as Error).message}`);
  }
  return key;
}

function rawKey(hex: string, where: string): KeyObject {
  try {
    return publicKeyFromRaw(Buffer.from(hex, 'hex'));
  } catch (err) {
    throw badArguments(`${where}: ${(err as Error).message}`);
  }
}

export async function loadPublicKeys(specs: readonly string[]): Promise<KeyObject[]> {
  if (specs.length === 0) throw badArguments(PINNED_KEY_HINT);
  return Promise.all(specs.map(loadPublicKey));
}

// ---------------------------------------------------------------------------------------------------------
// Verification

export interface VerifyReport {
  ok: boolean;
  /** What was verified: "export /path (jsonl)", "silo log /path", "PGlite in /dir", "PostgreSQL at …". */
  source: string;
  /** A filtered export: each entry's own hash and every checkpoint were checked, links only where adjacent. */
  partial: boolean;
  entries: number;
  checkpoints: number;
  coveredEntries: number;
  uncheckpointedTail: number;
  lastSeq?: number;
  headHash?: string;
  firstBrokenSeq?: number;
  fault?: { code: string; message: string; seq?: number; checkpointSeq?: number };
  /** Fingerprints of the keys pinned with --key. */
  keys: string[];
  /** Fingerprints that signed the checkpoints read. */
  signers: string[];
}

function reportOf(
  source: string,
  v: AuditVerification,
  keys: readonly KeyObject[],
  signers: readonly string[],
): VerifyReport {
  return {
    ok: v.ok,
    source,
    partial: v.partial,
    entries: v.entries,
    checkpoints: v.checkpoints,
    coveredEntries: v.coveredEntries,
    uncheckpointedTail: v.uncheckpointedTail,
    ...(v.lastSeq === undefined ? {} : { lastSeq: v.lastSeq }),
    ...(v.headHash === undefined ? {} : { headHash: v.headHash }),
    ...(v.firstBrokenSeq === undefined ? {} : { firstBrokenSeq: v.firstBrokenSeq }),
    ...(v.fault === undefined ? {} : { fault: { ...v.fault } }),
    keys: keys.map((k) => fingerprintOfPublicKey(k)),
    signers: [...new Set(signers)].sort(),
  };
}

/**
 * Verifies an export or a silo's log file. A file that does not even read as one (a line that does not
 * parse, an export cut short before its footer, a footer whose counts do not match) is reported as broken,
 * not as an error: for an auditor it is the same finding.
 */
export async function verifyFile(
  path: string,
  kind: 'export' | 'silo log',
  keys: readonly KeyObject[],
): Promise<VerifyReport> {
  const read = await readLogFile(path, kind === 'export' ? '--file' : '--silo-log');
  if (read instanceof AuditError) {
    return {
      ok: false,
      source: `${kind} ${path}`,
      partial: false,
      entries: 0,
      checkpoints: 0,
      coveredEntries: 0,
      uncheckpointedTail: 0,
      fault: { code: read.code, message: read.message },
      keys: keys.map((k) => fingerprintOfPublicKey(k)),
      signers: [],
    };
  }
  return verifyRead(path, read, keys);
}

/** The file read as an export or log, or the AuditError saying which line is wrong; exit 2 when it is missing. */
async function readLogFile(path: string, option: string): Promise<AuditExport | AuditError> {
  const info = await stat(path).catch(() => undefined);
  if (!info?.isFile()) throw badArguments(`${option} ${path}: no such file`);
  try {
    return await readAuditExport(createReadStream(path));
  } catch (err) {
    if (err instanceof AuditError) return err;
    throw err;
  }
}

async function verifyRead(
  path: string,
  exported: AuditExport,
  keys: readonly KeyObject[],
): Promise<VerifyReport> {
  const v = await verifyAuditExport(exported, keys);
  const what = exported.header.kind === 'log' ? 'silo log' : `export`;
  return reportOf(
    `${what} ${path} (${exported.format})`,
    v,
    keys,
    exported.checkpoints.map((c) => c.signer),
  );
}

/** The transaction's connection seen as a Database, so a store reads through one snapshot. */
function snapshotOf(db: Database, tx: Queryable): Database {
  return {
    kind: db.kind,
    description: db.description,
    query: <T extends object = Record<string, unknown>>(sql: string, params?: unknown[]) =>
      tx.query<T>(sql, params),
    transaction: () => Promise.reject(new Error('verification reads inside one transaction')),
    close: () => Promise.resolve(),
  };
}

/**
 * Verifies the audit tables of a live database: PostgreSQL by URL, or the aggregator's PGlite folder (which
 * the aggregator must have released: PGlite has one user at a time). Everything is read in one read-only
 * repeatable-read transaction, so the database is never written and entries appended meanwhile are not half
 * seen.
 */
export async function verifyDatabase(
  target: { url: string } | { dataDir: string },
  keys: readonly KeyObject[],
): Promise<VerifyReport> {
  if ('dataDir' in target) {
    // PGlite would create a fresh, empty database in a folder that has none; that is never what is meant.
    const version = await stat(join(target.dataDir, 'PG_VERSION')).catch(() => undefined);
    if (!version?.isFile()) {
      throw badArguments(
        `--data-dir ${target.dataDir} is not a PGlite database folder (no PG_VERSION); give the aggregator's --data-dir`,
      );
    }
  }
  // Loaded here, not at the top: PGlite and pg are heavy, and no other audit command needs them.
  const { openDatabase } = await import('@cohort/storage');
  const db = await openDatabase('url' in target ? { url: target.url, maxConnections: 1 } : target);
  try {
    return await db.transaction(async (tx) => {
      await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
      const [tables] = await tx.query<{ entries: string | null; checkpoints: string | null }>(
        `SELECT to_regclass('audit_entries')::text AS entries, to_regclass('audit_checkpoints')::text AS checkpoints`,
      );
      if (!tables?.entries || !tables.checkpoints) {
        throw badArguments(
          `${db.description ?? 'the database'} has no audit tables (audit_entries, audit_checkpoints): is it the aggregator's database?`,
        );
      }
      const v = await verifyAuditStore(new PostgresAuditStore(snapshotOf(db, tx)), keys);
      const signers = await tx.query<{ signer: string }>('SELECT DISTINCT signer FROM audit_checkpoints');
      return reportOf(
        db.description ?? db.kind,
        v,
        keys,
        signers.map((r) => r.signer),
      );
    });
  } finally {
    await db.close();
  }
}

/** The person's summary: "OK: …" or "BROKEN at entry …", then what it means. */
export function formatVerification(r: VerifyReport): string {
  if (!r.ok) {
    const code = r.fault?.code ?? 'UNKNOWN';
    const message = r.fault?.message ?? 'the log does not verify';
    const head =
      r.firstBrokenSeq === undefined
        ? `BROKEN: ${code} ${message}`
        : `BROKEN at entry ${r.firstBrokenSeq}: ${code} ${message}`;
    return `${head}\n(${r.source})`;
  }
  const lines = [
    `OK: ${r.entries} entries, ${r.checkpoints} checkpoints, ${r.uncheckpointedTail} after the last checkpoint`,
    `(${r.source}; signed by ${r.signers.length === 0 ? 'no checkpoint yet' : r.signers.map((s) => s.slice(0, 16) + '…').join(', ')})`,
  ];
  if (r.partial) {
    lines.push(
      'This is a filtered export: each entry and every checkpoint signature were checked, but not that nothing is missing between them.',
    );
  }
  if (r.uncheckpointedTail > 0) {
    lines.push(
      `The last ${r.uncheckpointedTail} entries are not covered by a signed checkpoint yet: only the hash chain protects them.`,
    );
  }
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------------------
// Export

export interface ExportResult {
  out: string;
  format: AuditExportFormat;
  bytes: number;
  entries: number;
  checkpoints: number;
  partial: boolean;
}

/**
 * Writes the body to `out` by way of `out.partial`: the file appears under its name only once it is all
 * there, synced, and reads back as a complete export, so an interrupted download never looks complete.
 */
export async function writeExport(
  body: AsyncIterable<Uint8Array>,
  out: string,
  format: AuditExportFormat,
): Promise<ExportResult> {
  const partial = `${out}.partial`;
  let handle;
  try {
    handle = await open(partial, 'w', 0o640);
  } catch (err) {
    throw new CliError(`cannot write ${partial}: ${(err as Error).message}`, 'EXPORT_WRITE_FAILED');
  }
  let bytes = 0;
  try {
    for await (const chunk of body) {
      await handle.write(chunk);
      bytes += chunk.byteLength;
    }
    await handle.sync();
  } catch (err) {
    throw new CliError(
      `the export was cut off after ${bytes} bytes (${(err as Error).message}); what arrived is in ${partial}, and ${out} was not written`,
      'EXPORT_INTERRUPTED',
    );
  } finally {
    await handle.close();
  }
  let exported: AuditExport;
  try {
    exported = await readAuditExport(createReadStream(partial));
  } catch (err) {
    const code = err instanceof AuditError ? err.code : 'EXPORT_MALFORMED';
    throw new CliError(
      `the downloaded export does not read back (${(err as Error).message}); it is kept in ${partial}, and ${out} was not written`,
      code,
    );
  }
  await rename(partial, out);
  return {
    out,
    format,
    bytes,
    entries: exported.entries.length,
    checkpoints: exported.checkpoints.length,
    partial: exported.partial,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Cross-check

export interface CrossCheckReport extends CrossCheckResult {
  siloLog: string;
  export: string;
  /** The export is a selection: updates outside its filter show as only in the silo's log. */
  partialExport: boolean;
  /** Each file's own verification against the --key keys; null when no key was given. */
  verification: { siloLog: VerifyReport; export: VerifyReport } | null;
}

/** The one silo a silo log speaks for: every entry of a silo agent's log has the actor silo:<its id>. */
function siloOfLog(log: AuditExport, path: string): string {
  const ids = new Set(
    log.entries.filter((e) => e.actor.startsWith('silo:')).map((e) => e.actor.slice('silo:'.length)),
  );
  if (ids.size === 1) return [...ids][0];
  throw badArguments(
    ids.size === 0
      ? `--silo-log ${path} names no silo (no entry by silo:<name>); say which with --silo <name>`
      : `--silo-log ${path} holds entries of several silos (${[...ids].join(', ')}); say which with --silo <name>`,
  );
}

/**
 * A silo's own log held against the aggregator's export: every update the silo sent must be accepted with the
 * same digest, and nothing accepted in its name that it did not send. With keys, each file is verified first,
 * since a comparison of contents proves nothing about a log that was rewritten.
 */
export async function crossCheckFiles(
  siloLogPath: string,
  exportPath: string,
  keys: readonly KeyObject[],
  siloId?: string,
): Promise<CrossCheckReport> {
  const siloLog = await readLogFile(siloLogPath, '--silo-log');
  const exported = await readLogFile(exportPath, '--export');
  for (const [read, option, path] of [
    [siloLog, '--silo-log', siloLogPath],
    [exported, '--export', exportPath],
  ] as const) {
    if (read instanceof AuditError) {
      throw new CliError(
        `${option} ${path} cannot be read, so nothing was compared: ${read.message}`,
        read.code,
      );
    }
  }
  const log = siloLog as AuditExport;
  const aggregator = exported as AuditExport;
  if (log.header.kind !== 'log') {
    throw badArguments(
      `--silo-log ${siloLogPath} is an export, not a silo's log (<silo state dir>/audit.jsonl)`,
    );
  }
  if (aggregator.header.kind !== 'export') {
    throw badArguments(`--export ${exportPath} is a silo's log, not an export made by cohort audit export`);
  }
  const silo = siloId ?? siloOfLog(log, siloLogPath);
  const result = await crossCheck(log.entries, aggregator.entries, { siloId: silo });
  const verification =
    keys.length === 0
      ? null
      : {
          siloLog: await verifyRead(siloLogPath, log, keys),
          export: await verifyRead(exportPath, aggregator, keys),
        };
  return {
    ...result,
    ok: result.ok && (verification === null || (verification.siloLog.ok && verification.export.ok)),
    siloLog: siloLogPath,
    export: exportPath,
    partialExport: aggregator.partial,
    verification,
  };
}

const digestOf = (hex: string): string => `${hex.slice(0, 16)}…`;

export function formatCrossCheck(r: CrossCheckReport): string {
  const lines = [
    `Silo ${r.siloId} against the aggregator's export: ${r.matched.length} updates matched, ${r.digestMismatches.length} digest mismatches, ` +
      `${r.onlySilo.length} only in the silo's log, ${r.onlyAggregator.length} only in the aggregator's.`,
  ];
  if (r.verification === null) {
    lines.push(
      "Signatures not checked: without --key this compares contents only (pass the silo's state folder and the aggregator's public.pem).",
    );
  } else {
    for (const [what, v] of [
      ["the silo's log", r.verification.siloLog],
      ['the export', r.verification.export],
    ] as const) {
      lines.push(
        v.ok
          ? `${what} verifies: ${v.entries} entries, ${v.checkpoints} checkpoints, ${v.uncheckpointedTail} after the last checkpoint`
          : `${what} is BROKEN${v.firstBrokenSeq === undefined ? '' : ` at entry ${v.firstBrokenSeq}`}: ${v.fault?.code ?? ''} ${v.fault?.message ?? ''}`,
      );
    }
  }
  for (const m of r.digestMismatches) {
    lines.push(
      `MISMATCH job ${m.jobId} round ${m.round}: the silo sent ${digestOf(m.siloDigest)}, the aggregator accepted ${digestOf(m.aggregatorDigest)} (silo entry ${m.siloSeq}, aggregator entry ${m.aggregatorSeq})`,
    );
  }
  for (const s of r.onlySilo) {
    lines.push(
      `ONLY IN THE SILO'S LOG job ${s.jobId} round ${s.round}: sent ${digestOf(s.updateDigest)} (silo entry ${s.seq}), ` +
        (s.rejectedSeq === undefined
          ? 'neither accepted nor rejected on record'
          : `rejected on record (aggregator entry ${s.rejectedSeq})`),
    );
  }
  for (const a of r.onlyAggregator) {
    lines.push(
      `ONLY IN THE AGGREGATOR'S job ${a.jobId} round ${a.round}: accepted ${digestOf(a.updateDigest)} in the silo's name (aggregator entry ${a.seq}), which the silo never sent`,
    );
  }
  for (const u of r.unreadable) lines.push(`UNREADABLE ${u.side} entry ${u.seq}: ${u.problem}`);
  if (r.partialExport) {
    lines.push("The export is filtered: updates outside its filter show as only in the silo's log.");
  }
  lines.push(
    r.ok
      ? 'OK: every update the silo sent was accepted with the same digest (or rejected on record), and nothing else in its name.'
      : 'DISCREPANCIES: the two records of what left this hospital do not agree (see above).',
  );
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------------------
// Listing

/** "2026-11-27 10:00:00Z": ISO 8601 without milliseconds, readable in a terminal. */
function formatTime(iso: string): string {
  return iso.replace('T', ' ').replace(/\.\d{3}Z$/, 'Z');
}

function shortValue(value: unknown): string {
  if (typeof value === 'string') {
    if (/^[0-9a-f]{32,}$/.test(value)) return `${value.slice(0, 12)}…`;
    const text = value.length > 32 ? `${value.slice(0, 31)}…` : value;
    return /[\s=]/.test(text) ? JSON.stringify(text) : text;
  }
  if (typeof value === 'number' && !Number.isInteger(value)) return String(Number(value.toPrecision(4)));
  if (value === null || typeof value !== 'object') return String(value);
  return JSON.stringify(value);
}

/**
 * The details as key=value pairs in one line of at most `width` characters. Ids that the actor or subject
 * column already shows are left out, and digests are cut to a prefix: the table is for finding an entry,
 * --json is for reading it.
 */
export function shortDetails(
  entry: Pick<AuditEntryView, 'actor' | 'subject' | 'details'>,
  width = DETAILS_WIDTH,
): string {
  const shown = new Set([entry.actor, entry.subject]);
  const parts: string[] = [];
  for (const [key, value] of Object.entries(entry.details)) {
    if (typeof value === 'string' && (shown.has(`job:${value}`) || shown.has(`silo:${value}`))) continue;
    parts.push(`${key}=${shortValue(value)}`);
  }
  const text = parts.join(' ');
  return text.length > width ? `${text.slice(0, width - 1)}…` : text;
}

export function formatAuditPage(page: AuditPageView): string {
  if (page.entries.length === 0) {
    return page.total === 0 ? 'No audit entries match.' : `No more entries (${page.total} match in all).`;
  }
  const table = formatTable([
    ['SEQ', 'TIME', 'ACTOR', 'ACTION', 'SUBJECT', 'DETAILS'],
    ...page.entries.map((e) => [
      String(e.seq),
      formatTime(e.time),
      e.actor,
      e.action,
      e.subject,
      shortDetails(e),
    ]),
  ]);
  const first = page.entries[0].seq;
  const last = page.entries[page.entries.length - 1].seq;
  const summary =
    page.nextAfterSeq === undefined
      ? `${page.entries.length} of ${page.total} matching entries (seq ${first}–${last}).`
      : `${page.entries.length} of ${page.total} matching entries (seq ${first}–${last}); next page: --after-seq ${page.nextAfterSeq}`;
  return `${table}\n${summary}`;
}

// ---------------------------------------------------------------------------------------------------------
// Commands

interface VerifyOptions {
  file?: string;
  siloLog?: string;
  databaseUrl?: string;
  dataDir?: string;
  key?: string[];
  json?: boolean;
}

/** Which log `cohort audit verify` reads; exactly one source. */
export function verifySourceOf(
  o: Pick<VerifyOptions, 'file' | 'siloLog' | 'databaseUrl' | 'dataDir'>,
):
  | { kind: 'export' | 'silo log'; path: string }
  | { kind: 'database'; target: { url: string } | { dataDir: string } } {
  const given = [
    o.file === undefined ? undefined : '--file',
    o.siloLog === undefined ? undefined : '--silo-log',
    o.databaseUrl === undefined ? undefined : '--database-url',
    o.dataDir === undefined ? undefined : '--data-dir',
  ].filter((x): x is string => x !== undefined);
  if (given.length !== 1) {
    throw badArguments(
      given.length === 0
        ? 'say what to verify: --file <export>, --silo-log <file>, --data-dir <PGlite folder> or --database-url <url>'
        : `verify one log at a time; got ${given.join(' and ')}`,
    );
  }
  if (o.file !== undefined) return { kind: 'export', path: o.file };
  if (o.siloLog !== undefined) return { kind: 'silo log', path: o.siloLog };
  if (o.databaseUrl !== undefined) return { kind: 'database', target: { url: o.databaseUrl } };
  return { kind: 'database', target: { dataDir: o.dataDir! } };
}

/**
 * `cohort audit list|export|verify`: compliance staff read the trail through the gateway, take it away as a
 * file, and check a file, a silo's log or the database itself offline against a key they pinned.
 */
export function registerAuditCommand(program: Command): void {
  const audit = program.command('audit').description("the federation's audit trail: list, export, verify");

  filterOptions(
    audit.command('list').description('one page of audit entries, oldest first, through the gateway'),
  )
    .option('--after-seq <n>', 'entries after this sequence number (the previous page’s last)', parseAfterSeq)
    .option('--limit <n>', `at most this many entries, 1 to ${MAX_LIMIT} (default 100)`, parseLimit)
    .option('--json', 'print one JSON object as the last line of standard output')
    .action(
      async (o: FilterOptions & { gateway?: string; afterSeq?: number; limit?: number; json?: boolean }) => {
        const query = auditQueryOf(o);
        const page = await connectGateway(o.gateway).listAudit(query, {
          afterSeq: o.afterSeq,
          limit: o.limit,
        });
        report(Boolean(o.json), page, () => formatAuditPage(page));
      },
    );

  filterOptions(
    audit
      .command('export')
      .description('download the trail with its signed checkpoints to a file (JSON Lines or CSV)'),
  )
    .option('--format <format>', 'jsonl or csv', parseFormat, 'jsonl' as AuditExportFormat)
    .requiredOption('--out <file>', 'where to write it (written as <file>.partial until complete)')
    .option('--json', 'print one JSON object as the last line of standard output')
    .action(
      async (
        o: FilterOptions & { gateway?: string; format: AuditExportFormat; out: string; json?: boolean },
      ) => {
        const query = auditQueryOf(o);
        const body = await connectGateway(o.gateway).exportAudit(query, o.format);
        const result = await writeExport(body, o.out, o.format);
        report(Boolean(o.json), result, () =>
          [
            `Wrote ${result.out}: ${result.entries} entries, ${result.checkpoints} checkpoints (${result.format}, ${result.bytes} bytes${result.partial ? ', filtered' : ''}).`,
            `Check it with: cohort audit verify --file ${result.out} --key <aggregator audit key dir>/${AGGREGATOR_PUBLIC_KEY_FILE}`,
          ].join('\n'),
        );
      },
    );

  audit
    .command('verify')
    .description(
      'check hashes, chain, sequence and signed checkpoints of an export, a silo log or the database; exit 1 if broken',
    )
    .option('--file <export>', 'an export made by cohort audit export (JSON Lines or CSV)')
    .option('--silo-log <file>', "a silo's local audit log (<silo state dir>/audit.jsonl)")
    .option('--data-dir <dir>', "the aggregator's PGlite folder (stop the aggregator first)")
    .option('--database-url <url>', "the aggregator's PostgreSQL database (read only)", parseDatabaseUrl)
    .option(
      '--key <key>',
      `a trusted checkpoint key: a PEM public key (<aggregator audit key dir>/${AGGREGATOR_PUBLIC_KEY_FILE}), 64 hex digits, or a key folder; repeatable`,
      collect,
    )
    .option('--json', 'print one JSON object as the last line of standard output')
    .action(async (o: VerifyOptions) => {
      const source = verifySourceOf(o);
      const keys = await loadPublicKeys(o.key ?? []);
      const result =
        source.kind === 'database'
          ? await verifyDatabase(source.target, keys)
          : await verifyFile(source.path, source.kind, keys);
      report(Boolean(o.json), result, () => formatVerification(result));
      if (!result.ok) process.exitCode = 1;
    });

  audit
    .command('cross-check')
    .description(
      "hold a silo's own log against the aggregator's export: every update sent accepted with the same digest; exit 1 if not",
    )
    .requiredOption('--silo-log <file>', "the silo's log (<silo state dir>/audit.jsonl)")
    .requiredOption('--export <file>', "the aggregator's export (cohort audit export)")
    .option('--silo <name>', "the silo, when its log does not say (default: the silo its log's entries name)")
    .option(
      '--key <key>',
      "verify both files first with these keys (the silo's state folder, the aggregator's public.pem); repeatable",
      collect,
    )
    .option('--json', 'print one JSON object as the last line of standard output')
    .action(async (o: { siloLog: string; export: string; silo?: string; key?: string[]; json?: boolean }) => {
      const keys = o.key === undefined ? [] : await loadPublicKeys(o.key);
      const result = await crossCheckFiles(o.siloLog, o.export, keys, o.silo);
      report(Boolean(o.json), result, () => formatCrossCheck(result));
      if (!result.ok) process.exitCode = 1;
    });
}

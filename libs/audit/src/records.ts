// One JSON object per line, for silo agents' log files and for exports alike, so the same reader takes both:
//   {"type":"header","format":"cohort-audit/1","kind":"log"|"export",…}   first line
//   {"type":"entry","seq":…,"time":…,"actor":…,"action":…,"subject":…,"details":{…},"prevHash":…,"hash":…}
//   {"type":"checkpoint","seq":…,"fromSeq":…,"toSeq":…,"headHash":…,"merkleRoot":…,"time":…,
//    "prevCheckpointHash":…,"signer":…,"signature":…}
//   {"type":"footer","entries":n,"checkpoints":m}                             last line of an export
import { isPlainObject } from './canonical-json.js';
import { parseAuditCheckpoint, type AuditCheckpoint } from './checkpoint.js';
import { parseAuditEntry, type AuditEntry } from './entry.js';

export const AUDIT_FORMAT = 'cohort-audit/1';

export interface AuditHeader {
  format: typeof AUDIT_FORMAT;
  /** A live log file (no footer) or an export (ends with a footer). */
  kind: 'log' | 'export';
  createdAt?: string;
  exportedAt?: string;
  /** The filter an export was made with; null for a full export. */
  filter?: Record<string, unknown> | null;
  /** True when the export is a selection (see verifyAudit's partial mode). */
  partial?: boolean;
}

export interface AuditFooter {
  entries: number;
  checkpoints: number;
}

export type AuditRecord =
  | { type: 'header'; header: AuditHeader }
  | { type: 'entry'; entry: AuditEntry }
  | { type: 'checkpoint'; checkpoint: AuditCheckpoint }
  | { type: 'footer'; footer: AuditFooter };

const ENTRY_KEYS = ['seq', 'time', 'actor', 'action', 'subject', 'details', 'prevHash', 'hash'];
const CHECKPOINT_KEYS = [
  'seq',
  'fromSeq',
  'toSeq',
  'headHash',
  'merkleRoot',
  'time',
  'prevCheckpointHash',
  'signer',
  'signature',
];

export function headerLine(header: AuditHeader): string {
  return JSON.stringify({ type: 'header', ...header });
}

export function entryLine(e: AuditEntry): string {
  return JSON.stringify({
    type: 'entry',
    seq: e.seq,
    time: e.time,
    actor: e.actor,
    action: e.action,
    subject: e.subject,
    details: e.details,
    prevHash: e.prevHash,
    hash: e.hash,
  });
}

export function checkpointLine(c: AuditCheckpoint): string {
  return JSON.stringify({
    type: 'checkpoint',
    seq: c.seq,
    fromSeq: c.fromSeq,
    toSeq: c.toSeq,
    headHash: c.headHash,
    merkleRoot: c.merkleRoot,
    time: c.time,
    prevCheckpointHash: c.prevCheckpointHash,
    signer: c.signer,
    signature: c.signature,
  });
}

export function footerLine(footer: AuditFooter): string {
  return JSON.stringify({ type: 'footer', entries: footer.entries, checkpoints: footer.checkpoints });
}

/** Parses one line; throws an Error saying what is wrong (callers add the file and line). */
export function parseRecordLine(text: string): AuditRecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error('not JSON');
  }
  if (!isPlainObject(value)) throw new Error('not a JSON object');
  const { type, ...rest } = value;
  switch (type) {
    case 'header':
      return { type, header: parseHeader(rest) };
    case 'entry':
      exactKeys(rest, ENTRY_KEYS, 'entry');
      return { type, entry: parseAuditEntry(rest) };
    case 'checkpoint':
      exactKeys(rest, CHECKPOINT_KEYS, 'checkpoint');
      return { type, checkpoint: parseAuditCheckpoint(rest) };
    case 'footer': {
      const { entries, checkpoints } = rest;
      if (!isCount(entries) || !isCount(checkpoints))
        throw new Error('a footer needs entries and checkpoints counts');
      return { type, footer: { entries, checkpoints } };
    }
    default:
      throw new Error(`unknown record type ${JSON.stringify(type)}`);
  }
}

function parseHeader(value: Record<string, unknown>): AuditHeader {
  if (value.format !== AUDIT_FORMAT) {
    throw new Error(`format ${JSON.stringify(value.format)} is not ${AUDIT_FORMAT}`);
  }
  if (value.kind !== 'log' && value.kind !== 'export') throw new Error('kind must be "log" or "export"');
  return value as unknown as AuditHeader;
}

// An added field changes no hash, so a strict reader is what notices one.
function exactKeys(value: Record<string, unknown>, keys: string[], what: string): void {
  const extra = Object.keys(value).filter((k) => !keys.includes(k));
  if (extra.length > 0) throw new Error(`unexpected ${what} fields: ${extra.join(', ')}`);
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

// Exports for compliance staff and their tools, and the reader that takes them (and silo log files) back.
// An export is: a header; the selected entries in seq order; the checkpoints covering them, in order; a
// footer with both counts, whose absence shows the file was cut short. A full export is checkable end to
// end; a filtered one carries each selected entry with its hash, and verifies as partial (see verify.ts).
import { AuditError, messageOf } from './audit-error.js';
import { isPlainObject, type JsonObject } from './canonical-json.js';
import type { AuditCheckpoint, AuditPublicKeys } from './checkpoint.js';
import {
  csvHeaderRow,
  csvRecordOpen,
  csvRecordRow,
  csvRowOf,
  CSV_COLUMNS,
  parseCsvRecord,
  type CsvRow,
} from './csv.js';
import type { AuditEntry } from './entry.js';
import { splitLines, type Line } from './lines.js';
import {
  AUDIT_FORMAT,
  checkpointLine,
  entryLine,
  footerLine,
  headerLine,
  parseRecordLine,
  type AuditFooter,
  type AuditHeader,
  type AuditRecord,
} from './records.js';
import {
  isEmptyFilter,
  normaliseFilter,
  readCheckpoints,
  readEntries,
  type AuditFilter,
  type AuditStore,
} from './store.js';
import { verifyAudit, type AuditVerification } from './verify.js';

export interface ExportOptions {
  /** The clock for exportedAt. */
  now?: () => Date;
}

export interface AuditExport {
  format: 'jsonl' | 'csv';
  header: AuditHeader;
  entries: AuditEntry[];
  checkpoints: AuditCheckpoint[];
  /** True for a filtered export: verify it with partial: true (verifyAuditExport does). */
  partial: boolean;
  /** Present for exports; a log file has none. */
  footer?: AuditFooter;
}

/**
 * The export as JSON Lines, one string per line including its "\n". Entries are those matching `filter` up
 * to the head at the start of the export (appends made meanwhile are left for the next export, so the
 * checkpoints included never reach past the entries); checkpoints are all of them up to that head for a full
 * export, or those overlapping the selected entries for a filtered one.
 */
export async function* exportJsonLines(
  store: AuditStore,
  filter: AuditFilter = {},
  options: ExportOptions = {},
): AsyncGenerator<string> {
  for await (const record of exportRecords(store, filter, options)) yield lineOf(record) + '\n';
}

/** The same export as CSV (RFC 4180, CRLF): one table, its record_type column saying what each row is. */
export async function* exportCsv(
  store: AuditStore,
  filter: AuditFilter = {},
  options: ExportOptions = {},
): AsyncGenerator<string> {
  yield csvHeaderRow();
  for await (const record of exportRecords(store, filter, options)) yield csvRecordRow(record);
}

async function* exportRecords(
  store: AuditStore,
  filter: AuditFilter,
  options: ExportOptions,
): AsyncGenerator<AuditRecord> {
  const normalised = normaliseFilter(filter);
  const partial = !isEmptyFilter(normalised);
  const head = await store.head();
  const exportedAt = (options.now ?? (() => new Date()))().toISOString();
  yield {
    type: 'header',
    header: {
      format: AUDIT_FORMAT,
      kind: 'export',
      exportedAt,
      filter: partial ? { ...normalised } : null,
      partial,
    },
  };
  const bounded = { ...filter, toSeq: Math.min(normalised.toSeq ?? head.seq, head.seq) };
  let entries = 0;
  let firstSeq: number | undefined;
  let lastSeq: number | undefined;
  if (head.seq > 0) {
    for await (const entry of readEntries(store, bounded)) {
      yield { type: 'entry', entry };
      entries++;
      firstSeq ??= entry.seq;
      lastSeq = entry.seq;
    }
  }
  let checkpoints = 0;
  const covering = partial
    ? firstSeq === undefined
      ? undefined
      : { overlapping: { fromSeq: firstSeq, toSeq: lastSeq! } }
    : {};
  if (covering) {
    for await (const checkpoint of readCheckpoints(store, covering)) {
      if (checkpoint.toSeq > head.seq) break;
      yield { type: 'checkpoint', checkpoint };
      checkpoints++;
    }
  }
  yield { type: 'footer', footer: { entries, checkpoints } };
}

function lineOf(record: AuditRecord): string {
  switch (record.type) {
    case 'header':
      return headerLine(record.header);
    case 'entry':
      return entryLine(record.entry);
    case 'checkpoint':
      return checkpointLine(record.checkpoint);
    case 'footer':
      return footerLine(record.footer);
  }
}

/**
 * Reads an export (JSON Lines or CSV, told apart by the first line) or a silo's log file, from text, bytes or
 * a stream of chunks. A line that does not parse is EXPORT_MALFORMED naming its line number; an export
 * without its footer is EXPORT_TRUNCATED. Nothing is verified here: pass the result to verifyAuditExport.
 */
export async function readAuditExport(
  input: string | Uint8Array | AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array>,
): Promise<AuditExport> {
  const chunks = typeof input === 'string' || ArrayBuffer.isView(input) ? [input] : input;
  const reader = new ExportReader();
  let csvPending: Line | undefined;
  let csvText = '';
  for await (const line of splitLines(chunks)) {
    let text = line.number === 1 ? line.text.replace(/^\ufeff/, '') : line.text;
    if (reader.format === undefined) {
      if (text.trim() === '') continue;
      reader.format = text.startsWith('{')
        ? 'jsonl'
        : text.replace(/\r$/, '') === CSV_COLUMNS.join(',')
          ? 'csv'
          : undefined;
      if (reader.format === undefined) {
        throw malformed(line.number, `neither a ${AUDIT_FORMAT} JSON Lines header nor the CSV column row`);
      }
      if (reader.format === 'csv') continue;
    }
    if (reader.format === 'jsonl') {
      if (text.trim() === '') continue;
      reader.take(line.number, () => parseRecordLine(text));
      continue;
    }
    // CSV: a record may continue over several physical lines inside a quoted field.
    if (csvPending === undefined) {
      if (text.trim() === '') continue;
      csvPending = line;
      csvText = text;
    } else {
      csvText += '\n' + text;
    }
    if (csvRecordOpen(csvText)) continue;
    text = csvText.replace(/\r$/, '');
    const start = csvPending.number;
    csvPending = undefined;
    reader.take(start, () => recordOfCsv(csvRowOf(parseCsvRecord(text))));
  }
  if (csvPending !== undefined)
    throw malformed(csvPending.number, 'a quoted field is not closed before the end');
  return reader.finish();
}

/** Verifies what readAuditExport returned: fully for a full export or a log file, partially for a selection. */
export function verifyAuditExport(
  exported: AuditExport,
  publicKeys: AuditPublicKeys,
): Promise<AuditVerification> {
  return verifyAudit({
    entries: exported.entries,
    checkpoints: exported.checkpoints,
    publicKeys,
    partial: exported.partial,
  });
}

class ExportReader {
  format: 'jsonl' | 'csv' | undefined;
  private header: AuditHeader | undefined;
  private footer: { footer: AuditFooter; line: number } | undefined;
  private readonly entries: AuditEntry[] = [];
  private readonly checkpoints: AuditCheckpoint[] = [];

  take(line: number, parse: () => AuditRecord): void {
    let record: AuditRecord;
    try {
      record = parse();
    } catch (cause) {
      throw malformed(line, messageOf(cause));
    }
    if (this.footer)
      throw malformed(line, `a ${record.type} record follows the footer (line ${this.footer.line})`);
    if (this.header === undefined && record.type !== 'header')
      throw malformed(line, 'the header record must come first');
    switch (record.type) {
      case 'header':
        if (this.header) throw malformed(line, 'a second header');
        this.header = record.header;
        break;
      case 'entry':
        this.entries.push(record.entry);
        break;
      case 'checkpoint':
        this.checkpoints.push(record.checkpoint);
        break;
      case 'footer':
        this.footer = { footer: record.footer, line };
        break;
    }
  }

  finish(): AuditExport {
    if (this.header === undefined || this.format === undefined) {
      throw new AuditError('EXPORT_MALFORMED', 'the input is empty: no header record');
    }
    const result: AuditExport = {
      format: this.format,
      header: this.header,
      entries: this.entries,
      checkpoints: this.checkpoints,
      partial: this.header.partial === true,
    };
    if (this.header.kind === 'export') {
      if (!this.footer) {
        throw new AuditError(
          'EXPORT_TRUNCATED',
          `the export ends after ${this.entries.length} entries and ${this.checkpoints.length} checkpoints without its footer: it was cut short`,
        );
      }
      const { footer, line } = this.footer;
      if (footer.entries !== this.entries.length || footer.checkpoints !== this.checkpoints.length) {
        throw malformed(
          line,
          `the footer counts ${footer.entries} entries and ${footer.checkpoints} checkpoints, the export holds ${this.entries.length} and ${this.checkpoints.length}`,
        );
      }
      result.footer = footer;
    }
    return result;
  }
}

function recordOfCsv(row: CsvRow): AuditRecord {
  const allowed: Record<string, readonly string[]> = {
    header: ['details'],
    footer: ['details'],
    entry: ['seq', 'time', 'actor', 'action', 'subject', 'details', 'prev_hash', 'hash'],
    checkpoint: [
      'seq',
      'time',
      'from_seq',
      'to_seq',
      'head_hash',
      'merkle_root',
      'prev_checkpoint_hash',
      'signer',
      'signature',
    ],
  };
  const type = row.record_type ?? '';
  const columns = allowed[type];
  if (!columns) throw new Error(`unknown record_type ${JSON.stringify(type)}`);
  // A shifted column would otherwise pass unnoticed as an empty field.
  const stray = CSV_COLUMNS.filter((c) => c !== 'record_type' && !columns.includes(c) && row[c] !== '');
  if (stray.length > 0) throw new Error(`a ${type} row has values in ${stray.join(', ')}`);
  const text = (column: keyof CsvRow) => row[column] ?? '';
  const json = (column: keyof CsvRow): JsonObject => {
    let value: unknown;
    try {
      value = JSON.parse(text(column));
    } catch {
      throw new Error(`${column} is not JSON`);
    }
    if (!isPlainObject(value)) throw new Error(`${column} is not a JSON object`);
    return value as JsonObject;
  };
  const integer = (column: keyof CsvRow): number => {
    if (!/^[1-9][0-9]{0,15}$/.test(text(column))) throw new Error(`${column} is not a positive integer`);
    return Number(text(column));
  };
  // Reuse the JSON Lines parser, so both formats accept exactly the same records.
  switch (type) {
    case 'header':
      return parseRecordLine(JSON.stringify({ type, ...json('details') }));
    case 'footer':
      return parseRecordLine(JSON.stringify({ type, ...json('details') }));
    case 'entry':
      return parseRecordLine(
        JSON.stringify({
          type,
          seq: integer('seq'),
          time: text('time'),
          actor: text('actor'),
          action: text('action'),
          subject: text('subject'),
          details: json('details'),
          prevHash: text('prev_hash'),
          hash: text('hash'),
        }),
      );
    default:
      return parseRecordLine(
        JSON.stringify({
          type,
          seq: integer('seq'),
          fromSeq: integer('from_seq'),
          toSeq: integer('to_seq'),
          headHash: text('head_hash'),
          merkleRoot: text('merkle_root'),
          time: text('time'),
          prevCheckpointHash: text('prev_checkpoint_hash'),
          signer: text('signer'),
          signature: text('signature'),
        }),
      );
  }
}

function malformed(line: number, problem: string): AuditError {
  return new AuditError('EXPORT_MALFORMED', `line ${line}: ${problem}`);
}

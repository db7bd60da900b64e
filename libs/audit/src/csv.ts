// RFC 4180 CSV for audit exports: one table whose record_type column says what each row is, so entries and
// checkpoints travel in one file that a spreadsheet opens and readAuditExport reads back exactly.
import type { AuditRecord } from './records.js';

export const CSV_COLUMNS = [
  'record_type',
  'seq',
  'time',
  'actor',
  'action',
  'subject',
  'details',
  'prev_hash',
  'hash',
  'from_seq',
  'to_seq',
  'head_hash',
  'merkle_root',
  'prev_checkpoint_hash',
  'signer',
  'signature',
] as const;

type Column = (typeof CSV_COLUMNS)[number];
export type CsvRow = Partial<Record<Column, string>>;

export function csvHeaderRow(): string {
  return CSV_COLUMNS.join(',') + '\r\n';
}

/** A record as a CSV row: entries and checkpoints field by field; header and footer as JSON in `details`. */
export function csvRecordRow(record: AuditRecord): string {
  let row: CsvRow;
  switch (record.type) {
    case 'header':
      row = { record_type: 'header', details: JSON.stringify(record.header) };
      break;
    case 'footer':
      row = { record_type: 'footer', details: JSON.stringify(record.footer) };
      break;
    case 'entry': {
      const e = record.entry;
      row = {
        record_type: 'entry',
        seq: String(e.seq),
        time: e.time,
        actor: e.actor,
        action: e.action,
        subject: e.subject,
        details: JSON.stringify(e.details),
        prev_hash: e.prevHash,
        hash: e.hash,
      };
      break;
    }
    case 'checkpoint': {
      const c = record.checkpoint;
      row = {
        record_type: 'checkpoint',
        seq: String(c.seq),
        time: c.time,
        from_seq: String(c.fromSeq),
        to_seq: String(c.toSeq),
        head_hash: c.headHash,
        merkle_root: c.merkleRoot,
        prev_checkpoint_hash: c.prevCheckpointHash,
        signer: c.signer,
        signature: c.signature,
      };
      break;
    }
  }
  return CSV_COLUMNS.map((column) => quote(row[column] ?? '')).join(',') + '\r\n';
}

function quote(field: string): string {
  return /[",\r\n]/.test(field) ? `"${field.replace(/"/g, '""')}"` : field;
}

/** Whether `text` (one or more physical lines) ends inside a quoted field, i.e. the record continues. */
export function csvRecordOpen(text: string): boolean {
  let quotes = 0;
  for (let i = text.indexOf('"'); i !== -1; i = text.indexOf('"', i + 1)) quotes++;
  return quotes % 2 === 1;
}

/** Splits one complete CSV record into its fields; throws an Error describing a malformed one. */
export function parseCsvRecord(text: string): string[] {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    if (text[i] === '"') {
      let value = '';
      i++;
      for (;;) {
        const close = text.indexOf('"', i);
        if (close === -1) throw new Error('a quoted field is not closed');
        value += text.slice(i, close);
        if (text[close + 1] === '"') {
          value += '"';
          i = close + 2;
        } else {
          i = close + 1;
          break;
        }
      }
      fields.push(value);
      if (i === text.length) return fields;
      if (text[i] !== ',') throw new Error(`unexpected ${JSON.stringify(text[i])} after a quoted field`);
      i++;
    } else {
      const comma = text.indexOf(',', i);
      const end = comma === -1 ? text.length : comma;
      const value = text.slice(i, end);
      if (value.includes('"')) throw new Error('a quote inside an unquoted field');
      fields.push(value);
      if (comma === -1) return fields;
      i = comma + 1;
    }
  }
}

/** Names the columns of a parsed row, checking the count. */
export function csvRowOf(fields: string[]): CsvRow {
  if (fields.length !== CSV_COLUMNS.length) {
    throw new Error(`expected ${CSV_COLUMNS.length} fields, found ${fields.length}`);
  }
  const row: CsvRow = {};
  CSV_COLUMNS.forEach((column, i) => (row[column] = fields[i]));
  return row;
}

import { open, type FileHandle } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { missingMatcher, parseCell } from './cell.js';
import { splitFields } from './csv-fields.js';
import { DataError } from './errors.js';
import { labelMapper } from './label.js';
import type { ColumnSpec, LabelSpec } from './schema.js';

/** A data line that could not be used; it never reaches training. `line` is 1-based and counts every line. */
export interface BadRow {
  file: string;
  line: number;
  reason: string;
}

export interface CsvReadSpec {
  header: boolean;
  delimiter: string;
  columns: readonly ColumnSpec[];
  /** Markers for columns that do not list their own. */
  missingValues: readonly string[];
  /** The columns to read as features, in output order; the others are only counted. */
  features: readonly string[];
  label: LabelSpec;
  /** How many bad rows to keep with their reasons (all are counted); default 20. */
  maxBadRowSamples?: number;
}

export interface CsvReadResult {
  file: string;
  /** One row per usable line, features in `spec.features` order; NaN marks a missing value. */
  rows: Float64Array[];
  /** 0/1 targets, parallel to `rows`. */
  labels: number[];
  /** Non-blank data lines seen (header excluded), usable or not. */
  rowsRead: number;
  badRowCount: number;
  /** The first `maxBadRowSamples` bad rows. */
  badRows: BadRow[];
}

interface ColumnReader {
  name: string;
  index: number;
  parse: (text: string) => { ok: true; value: number } | { ok: false; reason: string };
  isMissing: (text: string) => boolean;
}

function columnReader(spec: CsvReadSpec, name: string, index: number): ColumnReader {
  const column = spec.columns.find((c) => c.name === name);
  if (column === undefined) {
    throw new DataError('DATA_MISSING_FEATURE', `column "${name}" is not in the dataset schema`);
  }
  return {
    name,
    index,
    parse: (text) => parseCell(text, name, column.type),
    isMissing: missingMatcher(column.missingValues ?? spec.missingValues),
  };
}

/** Where each schema column sits in a line: by header name when there is a header, by order otherwise. */
function locateColumns(file: string, spec: CsvReadSpec, header: string[] | undefined): Map<string, number> {
  if (header === undefined) return new Map(spec.columns.map((c, i) => [c.name, i]));
  const positions = new Map<string, number>();
  const duplicated = new Set<string>();
  header.forEach((h, i) => {
    if (positions.has(h)) duplicated.add(h);
    else positions.set(h, i);
  });
  const wanted = spec.columns.map((c) => c.name);
  const absent = wanted.filter((n) => !positions.has(n));
  const ambiguous = wanted.filter((n) => duplicated.has(n));
  if (absent.length > 0 || ambiguous.length > 0) {
    const parts: string[] = [];
    if (absent.length > 0) parts.push(`lacks ${absent.map((n) => `"${n}"`).join(', ')}`);
    if (ambiguous.length > 0) parts.push(`repeats ${ambiguous.map((n) => `"${n}"`).join(', ')}`);
    throw new DataError(
      'DATA_HEADER_MISMATCH',
      `header of ${file} ${parts.join(' and ')} (header has: ${header.join(', ')})`,
    );
  }
  return positions;
}

async function openForReading(file: string): Promise<FileHandle> {
  try {
    return await open(file, 'r');
  } catch (err) {
    throw new DataError('DATA_FILE_UNREADABLE', `cannot read data file ${file}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/**
 * Streams a CSV file line by line and parses the feature and label columns. Lines that do not parse become
 * BadRows (counted, never thrown); only an unreadable file or a header that does not match the schema throws.
 */
export async function readCsvFile(file: string, spec: CsvReadSpec): Promise<CsvReadResult> {
  const maxSamples = spec.maxBadRowSamples ?? 20;
  const toLabel = labelMapper(spec.label.column, spec.label.rule);
  const result: CsvReadResult = { file, rows: [], labels: [], rowsRead: 0, badRowCount: 0, badRows: [] };
  const bad = (line: number, reason: string): void => {
    result.badRowCount++;
    if (result.badRows.length < maxSamples) result.badRows.push({ file, line, reason });
  };

  let expectedFields = spec.columns.length;
  let features: ColumnReader[] = [];
  let label: ColumnReader | undefined;
  const bind = (header: string[] | undefined): void => {
    const positions = locateColumns(file, spec, header);
    const at = (name: string): number => positions.get(name) ?? -1;
    features = spec.features.map((f) => columnReader(spec, f, at(f)));
    label = columnReader(spec, spec.label.column, at(spec.label.column));
    if (header !== undefined) expectedFields = header.length;
  };
  if (!spec.header) bind(undefined);

  const handle = await openForReading(file);
  const stream = handle.createReadStream({ encoding: 'utf8' });
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  let lineNo = 0;
  try {
    for await (const raw of lines) {
      lineNo++;
      const text = lineNo === 1 && raw.startsWith('\uFEFF') ? raw.slice(1) : raw;
      if (text.trim() === '') continue;
      const split = splitFields(text, spec.delimiter);
      if (label === undefined) {
        if (!split.ok) throw new DataError('DATA_HEADER_MISMATCH', `header of ${file} (line ${lineNo}): ${split.reason}`);
        bind(split.fields);
        continue;
      }
      result.rowsRead++;
      if (!split.ok) {
        bad(lineNo, split.reason);
        continue;
      }
      const fields = split.fields;
      if (fields.length !== expectedFields) {
        bad(lineNo, `expected ${expectedFields} columns, found ${fields.length}`);
        continue;
      }
      const labelText = fields[label.index].trim();
      if (label.isMissing(labelText)) {
        bad(lineNo, `label column "${label.name}" is missing`);
        continue;
      }
      const labelValue = label.parse(labelText);
      if (!labelValue.ok) {
        bad(lineNo, labelValue.reason);
        continue;
      }
      const target = toLabel(labelValue.value);
      if (!target.ok) {
        bad(lineNo, target.reason);
        continue;
      }
      const row = new Float64Array(features.length);
      let problem: string | undefined;
      for (let j = 0; j < features.length && problem === undefined; j++) {
        // Quoted fields arrive untrimmed; every column here is numeric, so padding carries no meaning.
        const cell = fields[features[j].index].trim();
        if (features[j].isMissing(cell)) {
          row[j] = Number.NaN;
          continue;
        }
        const parsed = features[j].parse(cell);
        if (parsed.ok) row[j] = parsed.value;
        else problem = parsed.reason;
      }
      if (problem !== undefined) {
        bad(lineNo, problem);
        continue;
      }
      result.rows.push(row);
      result.labels.push(target.label);
    }
  } catch (err) {
    if (err instanceof DataError) throw err;
    throw new DataError('DATA_FILE_UNREADABLE', `cannot read data file ${file}: ${(err as Error).message}`, {
      cause: err,
    });
  } finally {
    lines.close();
    stream.destroy();
    await handle.close().catch(() => undefined);
  }
  return result;
}

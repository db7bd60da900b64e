import { resolve } from 'node:path';
import { readCsvFile, type BadRow, type CsvReadResult } from './csv-reader.js';
import { DataError } from './errors.js';
import { applyPreprocessing, completeRowIndices, fitPreprocessing, type FeatureColumn } from './preprocess.js';
import { parseCsvDatasetConfig, type CsvDatasetConfig } from './schema.js';
import { stratifiedSplit } from './split.js';

/** A dense design matrix: `x` is n x d row-major, `y` holds 0/1 targets. */
export interface Split {
  x: Float32Array;
  y: Float32Array;
  n: number;
  d: number;
}

/** Counts only (plus bad-row locations): safe to show the silo's operator, never sent off-site. */
export interface DataReport {
  files: string[];
  rowsRead: number;
  rowsUsed: number;
  badRows: number;
  /** The first 20 bad rows across all files. */
  badRowSamples: BadRow[];
  droppedMissing: number;
  /** Cells filled in per feature (train and test), under the "impute" rule. */
  imputed: Record<string, number>;
  warnings: string[];
  train: { n: number; positives: number };
  test: { n: number; positives: number };
}

export interface SiloDataset {
  train: Split;
  test: Split;
  features: string[];
  report: DataReport;
}

export interface LoadCsvDatasetOptions {
  /** Folder that relative file paths in the configuration are resolved against (the config file's folder). */
  baseDir: string;
}

const MAX_BAD_ROW_SAMPLES = 20;

/** Throws unless `features` is a non-empty list of distinct schema columns other than the label. */
export function checkFeatures(config: CsvDatasetConfig, features: readonly string[]): void {
  const known = new Set(config.columns.map((c) => c.name));
  const unknown = features.filter((f) => !known.has(f));
  if (unknown.length > 0) {
    throw new DataError(
      'DATA_MISSING_FEATURE',
      `dataset "${config.id}" has no column ${unknown.map((f) => `"${f}"`).join(', ')} (columns: ${[...known].join(', ')})`,
    );
  }
  if (features.length === 0) {
    throw new DataError('DATA_INVALID_FEATURES', `no features requested from dataset "${config.id}"`);
  }
  if (features.includes(config.label.column)) {
    throw new DataError(
      'DATA_INVALID_FEATURES',
      `feature "${config.label.column}" is the label column of dataset "${config.id}"`,
    );
  }
  const repeated = features.filter((f, i) => features.indexOf(f) !== i);
  if (repeated.length > 0) {
    throw new DataError('DATA_INVALID_FEATURES', `feature "${repeated[0]}" is requested more than once`);
  }
}

function firstBad(read: CsvReadResult): string {
  const first = read.badRows[0];
  return first === undefined ? '' : `line ${first.line}: ${first.reason}`;
}

/** Enforces the bad-row budget of one file; returns a warning when some rows were skipped. */
function checkBadRows(read: CsvReadResult, maxFraction: number): string | undefined {
  if (read.rowsRead === 0) {
    throw new DataError('DATA_NO_USABLE_ROWS', `${read.file} has no data rows`);
  }
  if (read.badRowCount > maxFraction * read.rowsRead || read.rows.length === 0) {
    throw new DataError(
      read.rows.length === 0 ? 'DATA_NO_USABLE_ROWS' : 'DATA_TOO_MANY_BAD_ROWS',
      `${read.badRowCount} of ${read.rowsRead} rows in ${read.file} could not be parsed (first: ${firstBad(read)}); ` +
        `the limit is ${maxFraction * 100}% (maxBadRowFraction)`,
    );
  }
  if (read.badRowCount === 0) return undefined;
  // The reason may quote a cell, so warnings (which may be logged) carry only the location.
  return `${read.badRowCount} of ${read.rowsRead} rows in ${read.file} could not be parsed and were skipped (first: line ${read.badRows[0].line}; see badRowSamples)`;
}

function pick<T>(items: readonly T[], indices: readonly number[]): T[] {
  return indices.map((i) => items[i]);
}

function toSplit(x: Float32Array, labels: readonly number[], d: number): Split {
  return { x, y: Float32Array.from(labels), n: labels.length, d };
}

const countPositives = (labels: readonly number[]): number => labels.reduce((s, v) => s + v, 0);

/**
 * Loads one silo's CSV dataset for a job: reads and validates the file(s), splits (seeded, stratified) unless
 * a train/test pair is given, handles missing values and standardises with statistics of the training rows only.
 */
export async function loadCsvDataset(
  config: CsvDatasetConfig,
  features: string[],
  opts: LoadCsvDatasetOptions,
): Promise<SiloDataset> {
  const cfg = parseCsvDatasetConfig(config, `dataset configuration "${String(config.id)}"`);
  checkFeatures(cfg, features);
  const files =
    cfg.file !== undefined
      ? [resolve(opts.baseDir, cfg.file)]
      : [resolve(opts.baseDir, cfg.trainFile ?? ''), resolve(opts.baseDir, cfg.testFile ?? '')];
  const spec = {
    header: cfg.header,
    delimiter: cfg.delimiter,
    columns: cfg.columns,
    missingValues: cfg.missingValues,
    features,
    label: cfg.label,
    maxBadRowSamples: MAX_BAD_ROW_SAMPLES,
  };

  const warnings: string[] = [];
  const reads: CsvReadResult[] = [];
  for (const file of files) {
    const read = await readCsvFile(file, spec);
    const warning = checkBadRows(read, cfg.maxBadRowFraction);
    if (warning !== undefined) warnings.push(warning);
    reads.push(read);
  }

  let droppedMissing = 0;
  const usable = (read: CsvReadResult): { rows: Float64Array[]; labels: number[] } => {
    if (cfg.missingRule === 'impute') return { rows: read.rows, labels: read.labels };
    const keep = completeRowIndices(read.rows);
    droppedMissing += read.rows.length - keep.length;
    return { rows: pick(read.rows, keep), labels: pick(read.labels, keep) };
  };

  let train: { rows: Float64Array[]; labels: number[] };
  let test: { rows: Float64Array[]; labels: number[] };
  if (reads.length === 1) {
    const all = usable(reads[0]);
    const idx = stratifiedSplit(all.labels, cfg.split.testFraction, cfg.split.seed);
    train = { rows: pick(all.rows, idx.train), labels: pick(all.labels, idx.train) };
    test = { rows: pick(all.rows, idx.test), labels: pick(all.labels, idx.test) };
  } else {
    train = usable(reads[0]);
    test = usable(reads[1]);
  }

  const rowsRead = reads.reduce((s, r) => s + r.rowsRead, 0);
  const badRows = reads.reduce((s, r) => s + r.badRowCount, 0);
  if (train.rows.length === 0) {
    throw new DataError(
      'DATA_NO_USABLE_ROWS',
      `no usable training rows in ${files.join(' and ')}: ${rowsRead} rows read, ${badRows} could not be parsed, ` +
        `${droppedMissing} dropped for missing values (missingRule "drop")`,
    );
  }

  const byName = new Map(cfg.columns.map((c) => [c.name, c]));
  const columns: FeatureColumn[] = features.map((f) => ({ name: f, type: byName.get(f)?.type ?? 'number' }));
  const fitted = fitPreprocessing(train.rows, columns);
  warnings.push(...fitted.warnings);
  const trainX = applyPreprocessing(train.rows, fitted.preprocessing);
  const testX = applyPreprocessing(test.rows, fitted.preprocessing);
  if (test.rows.length === 0) warnings.push('the test split is empty: evaluation on this silo is not possible');

  const imputed: Record<string, number> = {};
  if (cfg.missingRule === 'impute') {
    features.forEach((f, j) => (imputed[f] = trainX.imputed[j] + testX.imputed[j]));
  }
  const d = features.length;
  return {
    train: toSplit(trainX.x, train.labels, d),
    test: toSplit(testX.x, test.labels, d),
    features: [...features],
    report: {
      files,
      rowsRead,
      rowsUsed: train.rows.length + test.rows.length,
      badRows,
      badRowSamples: reads.flatMap((r) => r.badRows).slice(0, MAX_BAD_ROW_SAMPLES),
      droppedMissing,
      imputed,
      warnings,
      train: { n: train.rows.length, positives: countPositives(train.labels) },
      test: { n: test.rows.length, positives: countPositives(test.labels) },
    },
  };
}

import { resolve } from 'node:path';
import {
  applyPreprocessing,
  completeRowIndices,
  fitPreprocessing,
  stratifiedSplit,
  type DataReport,
  type SiloDataset,
  type Split,
} from '@cohort/data';
import { FhirError } from './errors.js';
import type { FhirDatasetConfig } from './fhir-dataset-config.schema.js';
import { mapBulkExport, type FhirMapReport } from './map-export.js';
import type { FhirMapping } from './mapping.schema.js';

export interface FhirSiloDataset extends SiloDataset {
  fhir: FhirMapReport;
}

export interface LoadFhirDatasetOptions {
  /** Folder that a relative export folder is resolved against (the configuration file's folder). */
  baseDir: string;
}

function pick<T>(items: readonly T[], indices: readonly number[]): T[] {
  return indices.map((i) => items[i]);
}

const positives = (labels: readonly number[]): number => labels.reduce((s, v) => s + v, 0);

/**
 * Loads one silo's FHIR export for a job: maps it (streaming), enforces the bad-input budget, then the same
 * seeded stratified split, missing-value rule and training-only standardisation as a CSV dataset, so the same
 * records give the same matrices whichever format they came in.
 */
export async function loadFhirDataset(
  config: FhirDatasetConfig,
  features: string[],
  mapping: FhirMapping,
  opts: LoadFhirDatasetOptions,
): Promise<FhirSiloDataset> {
  const dir = resolve(opts.baseDir, config.dir);
  const mapped = await mapBulkExport(dir, mapping, features);
  const r = mapped.report;
  if (r.badInputTotal > config.maxBadResourceFraction * r.resourcesRead) {
    const first = r.badInputSamples[0];
    throw new FhirError(
      'FHIR_TOO_MANY_BAD_RESOURCES',
      `${r.badInputTotal} of ${r.resourcesRead} resources in ${dir} are bad input` +
        (first ? ` (first: ${first.file} line ${first.line}, ${first.kind})` : '') +
        `; the limit is ${config.maxBadResourceFraction * 100}% (maxBadResourceFraction)`,
    );
  }
  let rows = mapped.rows;
  let labels = mapped.labels;
  let droppedMissing = 0;
  if (config.missingRule === 'drop') {
    const keep = completeRowIndices(rows);
    droppedMissing = rows.length - keep.length;
    rows = pick(rows, keep);
    labels = pick(labels, keep);
  }
  if (rows.length === 0) {
    throw new FhirError(
      'FHIR_NO_USABLE_ROWS',
      `no usable patient in ${dir}: ${r.patients} patients, ${r.noIndexDate} without an index date, ` +
        `${r.unlabelled} without a label, ${droppedMissing} dropped for missing values (missingRule "drop")`,
    );
  }
  const idx = stratifiedSplit(labels, config.split.testFraction, config.split.seed);
  const train = { rows: pick(rows, idx.train), labels: pick(labels, idx.train) };
  const test = { rows: pick(rows, idx.test), labels: pick(labels, idx.test) };
  const columns = features.map((name, j) => ({ name, type: mapped.types[j] }));
  const fitted = fitPreprocessing(train.rows, columns);
  const trainX = applyPreprocessing(train.rows, fitted.preprocessing);
  const testX = applyPreprocessing(test.rows, fitted.preprocessing);
  const warnings = [...fitted.warnings];
  if (r.badInputTotal > 0) {
    warnings.push(
      `${r.badInputTotal} resources in ${dir} were bad input and left out (see badInput, badInputSamples)`,
    );
  }
  if (test.rows.length === 0)
    warnings.push('the test split is empty: evaluation on this silo is not possible');
  const imputed: Record<string, number> = {};
  if (config.missingRule === 'impute')
    features.forEach((f, j) => (imputed[f] = trainX.imputed[j] + testX.imputed[j]));
  const d = features.length;
  const split = (x: Float32Array, y: readonly number[]): Split => ({
    x,
    y: Float32Array.from(y),
    n: y.length,
    d,
  });
  const report: DataReport = {
    files: r.files.map((f) => f.file),
    rowsRead: r.patients,
    rowsUsed: rows.length,
    badRows: r.badInputTotal,
    badRowSamples: r.badInputSamples.map((b) => ({
      file: b.file,
      line: b.line,
      reason: `${b.kind}: ${b.detail}`,
    })),
    droppedMissing,
    imputed,
    warnings,
    train: { n: train.rows.length, positives: positives(train.labels) },
    test: { n: test.rows.length, positives: positives(test.labels) },
  };
  return {
    train: split(trainX.x, train.labels),
    test: split(testX.x, test.labels),
    features: [...features],
    report,
    fhir: r,
  };
}

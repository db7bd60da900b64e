import type { ColumnType } from './schema.js';

export interface FeatureColumn {
  name: string;
  type: ColumnType;
}

/**
 * Statistics fitted on one silo's training rows only, so nothing about its test rows leaks into training.
 * They are derived from records: they stay inside the silo.
 */
export interface Preprocessing {
  features: string[];
  /** Replaces a missing cell, in raw units: training mean (number) or mode (integer). */
  fill: number[];
  /** z-score parameters of the imputed training column; std 0 (a constant column) is stored as 1. */
  mean: number[];
  std: number[];
  /** The column had no observed training value: it is 0 for every row, train and test. */
  constantZero: boolean[];
}

/** Indices of rows with no missing value (NaN), for the "drop" rule. */
export function completeRowIndices(rows: readonly Float64Array[]): number[] {
  const keep: number[] = [];
  rows.forEach((row, i) => {
    if (!row.some(Number.isNaN)) keep.push(i);
  });
  return keep;
}

/** Most frequent value; ties go to the smallest so the result does not depend on row order. */
function mode(values: readonly number[]): number {
  const counts = new Map<number, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best = Number.NaN;
  let bestCount = 0;
  for (const [v, c] of counts) {
    if (c > bestCount || (c === bestCount && v < best)) {
      best = v;
      bestCount = c;
    }
  }
  return best;
}

export function fitPreprocessing(
  trainRows: readonly Float64Array[],
  columns: readonly FeatureColumn[],
): { preprocessing: Preprocessing; warnings: string[] } {
  const d = columns.length;
  const p: Preprocessing = {
    features: columns.map((c) => c.name),
    fill: new Array<number>(d).fill(0),
    mean: new Array<number>(d).fill(0),
    std: new Array<number>(d).fill(1),
    constantZero: new Array<boolean>(d).fill(false),
  };
  const warnings: string[] = [];
  for (let j = 0; j < d; j++) {
    const observed: number[] = [];
    for (const row of trainRows) if (!Number.isNaN(row[j])) observed.push(row[j]);
    if (observed.length === 0) {
      p.constantZero[j] = true;
      warnings.push(
        `column "${columns[j].name}" has no observed value in the training rows; it is set to 0 for every row`,
      );
      continue;
    }
    const fill =
      columns[j].type === 'integer' ? mode(observed) : observed.reduce((s, v) => s + v, 0) / observed.length;
    const missing = trainRows.length - observed.length;
    const n = trainRows.length;
    const mean = (observed.reduce((s, v) => s + v, 0) + missing * fill) / n;
    const squares = observed.reduce((s, v) => s + (v - mean) ** 2, 0) + missing * (fill - mean) ** 2;
    const std = Math.sqrt(squares / n);
    p.fill[j] = fill;
    p.mean[j] = mean;
    // A constant column computes a std of rounding noise, which would blow that noise up to unit scale.
    p.std[j] = std > 1e-12 * Math.max(1, Math.abs(mean)) ? std : 1;
  }
  return { preprocessing: p, warnings };
}

/** Imputes and standardises rows into a dense row-major matrix; `imputed` counts filled cells per column. */
export function applyPreprocessing(
  rows: readonly Float64Array[],
  p: Preprocessing,
): { x: Float32Array; imputed: number[] } {
  const d = p.features.length;
  const x = new Float32Array(rows.length * d);
  const imputed = new Array<number>(d).fill(0);
  rows.forEach((row, i) => {
    for (let j = 0; j < d; j++) {
      const missing = Number.isNaN(row[j]);
      if (missing) imputed[j]++;
      if (p.constantZero[j]) continue;
      x[i * d + j] = ((missing ? p.fill[j] : row[j]) - p.mean[j]) / p.std[j];
    }
  });
  return { x, imputed };
}

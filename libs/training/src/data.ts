import { TrainingError } from './errors.js';

/** A dense design matrix: `x` is n × d row-major, `y` holds 0/1 labels (the shape `@cohort/data` produces). */
export interface LabelledData {
  x: Float32Array;
  y: Float32Array;
  n: number;
  d: number;
}

/** Throws a TrainingError unless `data` is a well-formed, non-empty matrix of finite features for the model. */
export function assertLabelledData(data: LabelledData, inputDim: number, what = 'data'): void {
  const { x, y, n, d } = data;
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new TrainingError('INVALID_DATA', `${what} must have at least one example, got n = ${n}`);
  }
  if (d !== inputDim) {
    throw new TrainingError('INVALID_DATA', `${what} has ${d} features, the model expects ${inputDim}`);
  }
  if (x.length !== n * d) {
    throw new TrainingError('INVALID_DATA', `${what}.x has ${x.length} values, expected n × d = ${n * d}`);
  }
  if (y.length !== n) {
    throw new TrainingError('INVALID_DATA', `${what}.y has ${y.length} labels, expected n = ${n}`);
  }
  for (let i = 0; i < n; i++) {
    if (y[i] !== 0 && y[i] !== 1) {
      throw new TrainingError('INVALID_DATA', `${what}.y[${i}] is ${y[i]}; labels must be 0 or 1`);
    }
  }
  for (let i = 0; i < x.length; i++) {
    // One NaN feature would silently turn every weight into NaN.
    if (!Number.isFinite(x[i])) {
      throw new TrainingError(
        'INVALID_DATA',
        `${what}.x has a non-finite value (${x[i]}) in row ${Math.floor(i / d)}, feature ${i % d}`,
      );
    }
  }
}

/** Stacks datasets with the same feature width, rows in the order given. */
export function concatData(parts: readonly LabelledData[]): LabelledData {
  if (parts.length === 0) throw new TrainingError('INVALID_DATA', 'no datasets to concatenate');
  const d = parts[0].d;
  const mismatch = parts.findIndex((p) => p.d !== d);
  if (mismatch >= 0) {
    throw new TrainingError(
      'INVALID_DATA',
      `dataset ${mismatch} has ${parts[mismatch].d} features, dataset 0 has ${d}`,
    );
  }
  const n = parts.reduce((sum, p) => sum + p.n, 0);
  const x = new Float32Array(n * d);
  const y = new Float32Array(n);
  let row = 0;
  for (const part of parts) {
    x.set(part.x.subarray(0, part.n * d), row * d);
    y.set(part.y.subarray(0, part.n), row);
    row += part.n;
  }
  return { x, y, n, d };
}

// Cache-blocked float64 sums over many updates, shared by the rules that average updates or measure distances to a centre (the loop structure of a blocked matrix–vector product, Golub and Van Loan, "Matrix Computations", §1.5).

/**
 * Coordinates per block: a float64 block of the result (4 KiB) stays in L1 while every update's matching block
 * streams past, so each update is read from memory once per pass and the result is written once.
 */
export const SUM_BLOCK = 512;

/**
 * into[k] += Σᵢ cᵢ·xᵢ[start + k] for k < count. Four updates per sweep of the block, so each read-modify-write
 * of into[k] carries four products instead of one.
 */
export function addWeightedBlock(
  deltas: readonly Float32Array[],
  coefficients: ArrayLike<number>,
  start: number,
  count: number,
  into: Float64Array,
): void {
  const n = deltas.length;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    const [a, b, c, d] = [deltas[i], deltas[i + 1], deltas[i + 2], deltas[i + 3]];
    const [ca, cb, cc, cd] = [coefficients[i], coefficients[i + 1], coefficients[i + 2], coefficients[i + 3]];
    for (let k = 0; k < count; k++) {
      const j = start + k;
      into[k] += ca * a[j] + cb * b[j] + cc * c[j] + cd * d[j];
    }
  }
  for (; i < n; i++) {
    const a = deltas[i];
    const ca = coefficients[i];
    for (let k = 0; k < count; k++) into[k] += ca * a[start + k];
  }
}

/**
 * squared[i] += Σₖ (centre[k] − xᵢ[start + k])² for k < count, with four partial sums so the adds do not wait on
 * each other.
 */
export function addSquaredDistancesToBlock(
  deltas: readonly Float32Array[],
  centre: Float64Array,
  start: number,
  count: number,
  squared: Float64Array,
): void {
  for (let i = 0; i < deltas.length; i++) {
    const x = deltas[i];
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let k = 0;
    for (; k + 3 < count; k += 4) {
      const j = start + k;
      const d0 = centre[k] - x[j];
      const d1 = centre[k + 1] - x[j + 1];
      const d2 = centre[k + 2] - x[j + 2];
      const d3 = centre[k + 3] - x[j + 3];
      s0 += d0 * d0;
      s1 += d1 * d1;
      s2 += d2 * d2;
      s3 += d3 * d3;
    }
    for (; k < count; k++) {
      const d = centre[k] - x[start + k];
      s0 += d * d;
    }
    squared[i] += s0 + s1 + (s2 + s3);
  }
}

/** Σᵢ cᵢ·xᵢ over whole updates, in float64, one read of each update. */
export function weightedSum(deltas: readonly Float32Array[], coefficients: ArrayLike<number>): Float64Array {
  const length = deltas[0].length;
  const out = new Float64Array(length);
  const block = new Float64Array(Math.min(SUM_BLOCK, length));
  for (let start = 0; start < length; start += SUM_BLOCK) {
    const count = Math.min(SUM_BLOCK, length - start);
    block.fill(0);
    addWeightedBlock(deltas, coefficients, start, count, block);
    out.set(count === block.length ? block : block.subarray(0, count), start);
  }
  return out;
}

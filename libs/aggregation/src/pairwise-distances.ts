// All pairwise squared ℓ2 distances between updates, the inner cost of Krum (Blanchard et al. 2017), computed directly (not by the Gram trick) so that close updates keep their small distances.
import { kernelMachine } from './kernels.js';

// 256 float32 per row and block: N rows stay in cache, and the SIMD kernel's float32 partial sums cover 64 terms.
const BLOCK = 256;

/**
 * D[i·n + j] = ‖xᵢ − xⱼ‖², symmetric with a zero diagonal. The SIMD kernel sums squares in float32 within each
 * block of 256 coordinates and in float64 across blocks: about 1e-6 relative, ample for ranking.
 */
export function pairwiseSquaredDistances(deltas: readonly Float32Array[]): Float64Array {
  const n = deltas.length;
  const length = deltas[0].length;
  const result = new Float64Array(n * n);
  if (n < 2) return result;
  const machine = kernelMachine();
  const cols = Math.min(BLOCK, Math.ceil(length / 4) * 4);
  const outAt = n * cols * 4;
  const buffer = machine.reserve(outAt + n * n * 8);
  const staging = new Float32Array(buffer, 0, n * cols);
  const sums = new Float64Array(buffer, outAt, n * n);
  sums.fill(0);
  for (let start = 0; start < length; start += cols) {
    const count = Math.min(cols, length - start);
    for (let r = 0; r < n; r++) {
      staging.set(deltas[r].subarray(start, start + count), r * cols);
      // Zero padding adds (0 − 0)² = 0.
      if (count < cols) staging.fill(0, r * cols + count, (r + 1) * cols);
    }
    machine.addSquaredDistances(0, n, cols, outAt);
  }
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      result[i * n + j] = sums[i * n + j];
      result[j * n + i] = sums[i * n + j];
    }
  }
  return result;
}

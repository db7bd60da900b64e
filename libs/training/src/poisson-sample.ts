// Poisson subsampling for DP-SGD (Abadi et al. 2016, "Deep Learning with Differential Privacy", §3.1).
import { createRandom } from '@cohort/model';
import { TrainingError } from './errors.js';

/**
 * The indices (ascending) of the records a round uses: each of 0..n-1 independently with probability q, so the
 * sample size is Binomial(n, q). The accountant's privacy amplification assumes exactly this scheme, not a
 * fixed-size batch or a shuffled pass. Deterministic for a seed; the amplification also assumes nobody outside
 * the silo can predict the sample, so in production the seed must be secret to the silo.
 */
export function poissonSample(n: number, q: number, seed: number): Uint32Array {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new TrainingError(
      'INVALID_OPTIONS',
      `the number of records must be a non-negative integer, got ${n}`,
    );
  }
  assertSamplingRate(q);
  const random = createRandom(seed);
  // Room for all n avoids a second pass; the unused tail is cut off below.
  const picked = new Uint32Array(n);
  let count = 0;
  for (let i = 0; i < n; i++) {
    // random() is in [0, 1), so q = 1 keeps every record.
    if (random() < q) picked[count++] = i;
  }
  return picked.slice(0, count);
}

/** Throws a TrainingError unless q is a probability the accountant can use, (0, 1]. */
export function assertSamplingRate(q: number): void {
  if (!Number.isFinite(q) || q <= 0 || q > 1) {
    throw new TrainingError('INVALID_OPTIONS', `samplingRate must be in (0, 1], got ${q}`);
  }
}

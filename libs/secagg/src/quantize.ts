// Modular quantization for secure aggregation: clip, scale, unbiased stochastic rounding into Z_{2^k} (Bonawitz et al. 2017 §2; Kairouz et al. 2021 §4 for the overflow bound).
import { SecAggError } from './errors.js';

export const MIN_BITS = 16;
export const MAX_BITS = 32;

export interface QuantizationParams {
  /** The modulus is 2^bits; sums are read back as signed values in [−2^(bits−1), 2^(bits−1)). */
  bits: number;
  /** How many silos' values are summed: the bound must hold for all of them at once. */
  silos: number;
  /** Every value is clipped to [−clipRange, clipRange] before scaling. */
  clipRange: number;
  /** Room kept for integer noise added after rounding (the sum's noise, as a bound on its magnitude). */
  noiseBound?: number;
}

/**
 * The scale s of the quantizer. A clipped value x becomes an integer q with |q| ≤ s·clipRange + 1 (stochastic
 * rounding moves it by less than 1), so n silos sum to at most n·(s·clipRange + 1) + noiseBound in magnitude. The
 * largest s with that bound below 2^(bits−1) is chosen: the sum never wraps, and one step 1/s is the resolution.
 */
export function quantizationScale(p: QuantizationParams): number {
  if (!Number.isInteger(p.bits) || p.bits < MIN_BITS || p.bits > MAX_BITS)
    throw new SecAggError(
      'INVALID_PARAMETERS',
      `bits must be an integer from ${MIN_BITS} to ${MAX_BITS}, got ${p.bits}`,
    );
  if (!Number.isInteger(p.silos) || p.silos < 1)
    throw new SecAggError('INVALID_PARAMETERS', `silos must be a positive integer, got ${p.silos}`);
  if (!(p.clipRange > 0 && Number.isFinite(p.clipRange)))
    throw new SecAggError('INVALID_PARAMETERS', `clipRange must be a positive number, got ${p.clipRange}`);
  const noise = p.noiseBound ?? 0;
  if (!(noise >= 0 && Number.isFinite(noise)))
    throw new SecAggError('INVALID_PARAMETERS', `noiseBound must be a non-negative number, got ${noise}`);
  const room = 2 ** (p.bits - 1) - 1 - noise;
  const scale = (room / p.silos - 1) / p.clipRange;
  // Fewer than 16 levels per clip range would make the rounding error swamp the update.
  if (!(scale * p.clipRange >= 16))
    throw new SecAggError(
      'INVALID_PARAMETERS',
      `${p.bits} bits cannot hold the sum of ${p.silos} silos at clip range ${p.clipRange}` +
        (noise > 0 ? ` with noise bound ${noise}` : '') +
        ': use more bits, fewer silos or less noise',
    );
  return scale;
}

/**
 * Writes round(clip(x_i)·factor·scale) modulo 2^bits into `into` from `offset`, rounding up with probability equal
 * to the fractional part so the expectation is exact. `factor` in [0, 1] (a silo's weight) keeps the bound.
 */
export function quantizeInto(
  into: Uint32Array,
  offset: number,
  values: ArrayLike<number>,
  scale: number,
  clipRange: number,
  factor: number,
  random: () => number,
): void {
  if (!(factor >= 0 && factor <= 1))
    throw new SecAggError('OUT_OF_RANGE', `a weight factor must be in [0, 1], got ${factor}`);
  if (offset + values.length > into.length)
    throw new SecAggError(
      'OUT_OF_RANGE',
      `${values.length} values do not fit at offset ${offset} of ${into.length}`,
    );
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) throw new SecAggError('OUT_OF_RANGE', `value ${i} is not finite (${v})`);
    const clipped = v > clipRange ? clipRange : v < -clipRange ? -clipRange : v;
    const scaled = clipped * factor * scale;
    const low = Math.floor(scaled);
    const q = random() < scaled - low ? low + 1 : low;
    // Two's complement in 32 bits, reduced later by the mask arithmetic to the job's modulus.
    into[offset + i] = q >>> 0;
  }
}

/** Reduces every word modulo 2^bits (after quantization, before masking). */
export function reduce(into: Uint32Array, bits: number): void {
  if (bits === 32) return;
  const m = 2 ** bits - 1;
  for (let i = 0; i < into.length; i++) into[i] = into[i] & m;
}

/** The signed integers a sum modulo 2^bits stands for, divided by the scale. */
export function dequantize(sum: Uint32Array, scale: number, bits: number): Float64Array {
  const half = 2 ** (bits - 1);
  const modulus = 2 ** bits;
  const out = new Float64Array(sum.length);
  for (let i = 0; i < sum.length; i++) {
    const v = sum[i];
    out[i] = (v >= half ? v - modulus : v) / scale;
  }
  return out;
}

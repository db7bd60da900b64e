// Stochastic 8-bit quantization per block (QSGD, Alistarh et al., NeurIPS 2017, with s = 127 levels and the
// block's max |x| as the scale, as in its bucketed variant): unbiased, each value within scale/127 of the truth.
import type { Random } from '@cohort/model';
import { QuantizationError } from './errors.js';

/** Values per block: one float32 scale per 256 values costs 4/256 ≈ 1.6% on top of one byte per value. */
export const INT8_BLOCK = 256;
const LEVELS = 127;

export function int8EncodedLength(parameterCount: number): number {
  return 4 * Math.ceil(parameterCount / INT8_BLOCK) + parameterCount;
}

/**
 * Layout: every block's scale (float32, little-endian) first, then one signed byte per value. A value x in a
 * block of scale m becomes sign(x)·q with q = ⌊127|x|/m⌋ + 1 with probability frac(127|x|/m), else the floor,
 * so E[q·m/127] = |x|. A block holding a non-finite value gets a NaN scale: it decodes to NaN, which the
 * receiver refuses as it would have refused the value itself.
 */
export function encodeInt8Stochastic(values: Float32Array, random: Random): Uint8Array {
  const n = values.length;
  const blocks = Math.ceil(n / INT8_BLOCK);
  const out = new Uint8Array(int8EncodedLength(n));
  const scales = new DataView(out.buffer, 0, 4 * blocks);
  const codes = new Int8Array(out.buffer, 4 * blocks, n);
  for (let b = 0; b < blocks; b++) {
    const start = b * INT8_BLOCK;
    const end = Math.min(start + INT8_BLOCK, n);
    let scale = 0;
    for (let i = start; i < end; i++) {
      const a = Math.abs(values[i]);
      if (!Number.isFinite(a)) {
        scale = NaN;
        break;
      }
      if (a > scale) scale = a;
    }
    scales.setFloat32(4 * b, scale, true);
    if (!(scale > 0)) continue;
    const step = LEVELS / scale;
    for (let i = start; i < end; i++) {
      const y = Math.abs(values[i]) * step;
      const floor = Math.floor(y);
      // min(): |x| = scale can land a hair above 127 in double arithmetic.
      const q = Math.min(LEVELS, random() < y - floor ? floor + 1 : floor);
      codes[i] = values[i] < 0 ? -q : q;
    }
  }
  return out;
}

/** Unpacks a payload of `parameterCount` values; refuses a wrong length or a code of -128 (no encoder writes it). */
export function decodeInt8Stochastic(bytes: Uint8Array, parameterCount: number): Float32Array {
  const expected = int8EncodedLength(parameterCount);
  if (bytes.byteLength !== expected) {
    throw new QuantizationError(
      'LENGTH_MISMATCH',
      `an int8 payload of ${parameterCount} values has ${expected} bytes, got ${bytes.byteLength}`,
    );
  }
  const blocks = Math.ceil(parameterCount / INT8_BLOCK);
  const scales = new DataView(bytes.buffer, bytes.byteOffset, 4 * blocks);
  const codes = new Int8Array(bytes.buffer, bytes.byteOffset + 4 * blocks, parameterCount);
  const out = new Float32Array(parameterCount);
  for (let b = 0; b < blocks; b++) {
    const start = b * INT8_BLOCK;
    const end = Math.min(start + INT8_BLOCK, parameterCount);
    const unit = scales.getFloat32(4 * b, true) / LEVELS;
    for (let i = start; i < end; i++) {
      const c = codes[i];
      if (c === -128) {
        throw new QuantizationError(
          'MALFORMED_PAYLOAD',
          `int8 code -128 at value ${i} is outside [-127, 127]`,
        );
      }
      out[i] = c * unit;
    }
  }
  return out;
}

// IEEE 754-2008 binary16 (§3.6) with round-to-nearest-even (§4.3.1), packed little-endian: half the bytes of float32.
import { QuantizationError } from './errors.js';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The binary16 bit pattern nearest to x (ties to even); overflow gives ±Infinity, NaN stays a quiet NaN. */
export function toFloat16Bits(x: number): number {
  f32[0] = x;
  const bits = u32[0];
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  const mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return mantissa === 0 ? sign | 0x7c00 : sign | 0x7e00 | (mantissa >>> 13);
  const e = exponent - 112; // rebias 127 → 15
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // Below 2^-25 even the smallest subnormal is more than half away (2^-25 itself ties to the even 0).
    if (e < -10) return sign;
    const full = mantissa | 0x800000;
    const shift = 14 - e;
    const rest = full & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    let h = full >>> shift;
    if (rest > halfway || (rest === halfway && (h & 1) === 1)) h++;
    // A carry out of the subnormal range lands on the smallest normal, which is the right answer.
    return sign | h;
  }
  let h = (e << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  // A carry out of the mantissa bumps the exponent, up to Infinity: exactly what rounding must do.
  if (rest > 0x1000 || (rest === 0x1000 && (h & 1) === 1)) h++;
  return sign | h;
}

/** The value of a binary16 bit pattern. */
export function fromFloat16Bits(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >>> 10) & 0x1f;
  const mantissa = h & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa === 0 ? sign * Infinity : NaN;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

// Decoding is a table look-up (256 KiB, built on first use): a 1M-parameter update decodes in a few ms.
let table: Float32Array | undefined;
function decodeTable(): Float32Array {
  if (!table) {
    table = new Float32Array(0x10000);
    for (let h = 0; h < 0x10000; h++) table[h] = fromFloat16Bits(h);
  }
  return table;
}

/** Packs values as little-endian binary16: 2 bytes each. */
export function encodeFloat16(values: Float32Array): Uint8Array {
  const out = new Uint8Array(values.length * 2);
  for (let i = 0; i < values.length; i++) {
    const h = toFloat16Bits(values[i]);
    out[2 * i] = h & 0xff;
    out[2 * i + 1] = h >>> 8;
  }
  return out;
}

/** Unpacks little-endian binary16 bytes; refuses a length that is not a whole number of values. */
export function decodeFloat16(bytes: Uint8Array): Float32Array {
  if (bytes.byteLength % 2 !== 0) {
    throw new QuantizationError(
      'LENGTH_MISMATCH',
      `a float16 payload has ${bytes.byteLength} bytes, not a multiple of 2`,
    );
  }
  const lookup = decodeTable();
  const out = new Float32Array(bytes.byteLength / 2);
  for (let i = 0; i < out.length; i++) out[i] = lookup[bytes[2 * i] | (bytes[2 * i + 1] << 8)];
  return out;
}

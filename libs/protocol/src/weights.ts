// Weights travel as packed little-endian float32 bytes, never as repeated numbers or JSON (see DESIGN.md).
import { createHash } from 'node:crypto';

/** The wire limit for one chunk of a model or an update. */
export const MAX_CHUNK_BYTES = 1024 * 1024;

const littleEndianHost = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Packs a weight vector as little-endian float32 bytes (a copy, so the caller may keep mutating its array). */
export function packFloat32(values: Float32Array): Buffer {
  if (littleEndianHost) {
    return Buffer.from(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength));
  }
  const out = Buffer.allocUnsafe(values.length * 4);
  for (let i = 0; i < values.length; i++) out.writeFloatLE(values[i], i * 4);
  return out;
}

/** Unpacks little-endian float32 bytes; throws when the length is not a whole number of floats. */
export function unpackFloat32(bytes: Uint8Array): Float32Array {
  if (bytes.byteLength % 4 !== 0) {
    throw new RangeError(`packed float32 payload has ${bytes.byteLength} bytes, not a multiple of 4`);
  }
  const n = bytes.byteLength / 4;
  const out = new Float32Array(n);
  if (littleEndianHost) {
    new Uint8Array(out.buffer).set(bytes);
    return out;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

/** Splits bytes into views of at most maxBytes each (no copies). */
export function chunkBytes(bytes: Uint8Array, maxBytes = MAX_CHUNK_BYTES): Uint8Array[] {
  if (maxBytes <= 0) throw new RangeError('chunk size must be positive');
  const chunks: Uint8Array[] = [];
  for (let offset = 0; offset < bytes.byteLength; offset += maxBytes) {
    chunks.push(bytes.subarray(offset, Math.min(offset + maxBytes, bytes.byteLength)));
  }
  return chunks;
}

export function sha256(bytes: Uint8Array): Buffer {
  return createHash('sha256').update(bytes).digest();
}

/**
 * Packed little-endian float32 bytes as weights without a copy when they can be viewed in place (a little-endian
 * host, an aligned offset); otherwise unpacked into a new array. The result shares memory with `bytes` when viewed.
 */
export function viewFloat32(bytes: Uint8Array): Float32Array {
  if (littleEndianHost && bytes.byteOffset % 4 === 0 && bytes.byteLength % 4 === 0) {
    return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  }
  return unpackFloat32(bytes);
}

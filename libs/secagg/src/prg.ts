// The mask generator: AES-256-CTR keystream (NIST SP 800-38A) under a 32-byte seed, read as k-bit words, as Bonawitz et al. 2017 §4 expand seeds with a PRG.
import { createCipheriv, hkdfSync } from 'node:crypto';
import { SecAggError } from './errors.js';

/** Keystream bytes per cipher call: bounded so a 1M-parameter mask needs no 4 MB zero buffer per call. */
const BLOCK_WORDS = 1 << 16;
const ZEROS = new Uint8Array(BLOCK_WORDS * 4);

/**
 * Adds (sign = 1) or subtracts (sign = -1) PRG(seed) to `into`, word by word modulo 2^bits. The seed must be used
 * for one mask only: callers derive it per round and per purpose.
 */
export function addMask(into: Uint32Array, seed: Uint8Array, sign: 1 | -1, bits: number): void {
  if (seed.byteLength !== 32)
    throw new SecAggError('INVALID_PARAMETERS', `a mask seed has 32 bytes, got ${seed.byteLength}`);
  const cipher = createCipheriv('aes-256-ctr', seed, new Uint8Array(16));
  const modMask = bits === 32 ? -1 : 2 ** bits - 1;
  // Signed 32-bit views: V8 keeps the arithmetic in small integers, where uint32 values above 2^31 would be doubles.
  const target = new Int32Array(into.buffer, into.byteOffset, into.length);
  for (let start = 0; start < into.length; start += BLOCK_WORDS) {
    const count = Math.min(BLOCK_WORDS, into.length - start);
    let stream: Uint8Array = cipher.update(ZEROS.subarray(0, count * 4));
    // Small outputs may come from Node's shared pool at an offset a typed-array view cannot start at.
    if (stream.byteOffset % 4 !== 0) stream = Uint8Array.from(stream);
    // Read as host-order words: every platform Node supports for this service is little-endian.
    const words = new Int32Array(stream.buffer, stream.byteOffset, count);
    if (sign === 1)
      for (let i = 0; i < count; i++) target[start + i] = (target[start + i] + words[i]) & modMask;
    else for (let i = 0; i < count; i++) target[start + i] = (target[start + i] - words[i]) & modMask;
  }
}

/** A seed of its own for each use of a secret (`purpose` names round and role), so no keystream is reused. */
export function deriveSeed(secret: Uint8Array, purpose: string): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', secret, new Uint8Array(0), purpose, 32));
}

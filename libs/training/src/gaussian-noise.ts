// The Gaussian mechanism's noise for DP-SGD (Abadi et al. 2016), drawn by the Box–Muller transform (Box & Muller 1958).
// Pure (no TensorFlow.js), so an enclave or a local-mode silo can use it without a training backend.
//
// Known limitation: like every textbook floating-point sampler, this one is open in principle to the
// least-significant-bit attack of Mironov (2012, "On significance of the least significant bits for differential
// privacy"); a discrete Gaussian (Canonne, Kamath & Steinke 2020) would close it.
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { TrainingError } from './errors.js';

/** Coordinates noised per block of random bytes, so a model of millions of parameters needs no huge buffer. */
const BLOCK = 1 << 16;

/** Bytes behind one pair of normals: two 64-bit words, each giving one 53-bit uniform. */
const BYTES_PER_PAIR = 16;

/**
 * A copy of `sum` with independent N(0, stddev²) noise added to every coordinate (DP-SGD adds stddev = σ·C to
 * the sum of clipped gradients). Without a seed the randomness comes from the operating system's CSPRNG, as it
 * must in production: noise anyone can replay protects nothing. A seed (tests only) switches to AES-256-CTR
 * keyed by a hash of the seed, a reproducible stream of the same quality.
 */
export function addGaussianNoise(sum: Float32Array, stddev: number, seed?: number): Float32Array {
  if (!Number.isFinite(stddev) || stddev < 0) {
    throw new TrainingError('INVALID_OPTIONS', `noise stddev must be a non-negative number, got ${stddev}`);
  }
  if (seed !== undefined && !Number.isSafeInteger(seed)) {
    throw new TrainingError('INVALID_OPTIONS', `noise seed must be an integer, got ${seed}`);
  }
  const out = Float32Array.from(sum);
  if (stddev === 0) return out;
  const next = seed === undefined ? randomBytes : seededBytes(seed);
  for (let start = 0; start < out.length; start += BLOCK) {
    const end = Math.min(start + BLOCK, out.length);
    const pairs = Math.ceil((end - start) / 2);
    const bytes = next(pairs * BYTES_PER_PAIR);
    for (let p = 0; p < pairs; p++) {
      const i = start + 2 * p;
      const u1 = uniform53(bytes, p * BYTES_PER_PAIR);
      const u2 = uniform53(bytes, p * BYTES_PER_PAIR + 8);
      // 1 − u1 is in (0, 1], so the logarithm is finite; both outputs of a pair are independent N(0, 1).
      const radius = stddev * Math.sqrt(-2 * Math.log(1 - u1));
      const angle = 2 * Math.PI * u2;
      out[i] += radius * Math.cos(angle);
      if (i + 1 < end) out[i + 1] += radius * Math.sin(angle);
    }
  }
  return out;
}

/** A uniform double in [0, 1) with 53 random bits (all a double can hold), from 8 bytes at `offset`. */
function uniform53(bytes: Buffer, offset: number): number {
  const high = bytes.readUInt32LE(offset) >>> 11;
  const low = bytes.readUInt32LE(offset + 4);
  return (high * 2 ** 32 + low) / 2 ** 53;
}

/** A reproducible CSPRNG: the AES-256-CTR keystream (encrypting zeros) under a key derived from the seed. */
function seededBytes(seed: number): (size: number) => Buffer {
  const key = createHash('sha256').update(`cohort/gaussian-noise/v1/${seed}`).digest();
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  return (size) => cipher.update(Buffer.alloc(size));
}

// Seeded randomness for everything that must replay exactly from a job's seed (initial weights, shuffling).
// xoshiro128** seeded through splitmix32: small, fast and well distributed; not for cryptography.
import { ModelError } from './errors.js';

/** A source of uniform floats in [0, 1). */
export type Random = () => number;

function splitmix32(state: number): () => number {
  let s = state >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

function assertSeed(seed: number): void {
  if (!Number.isSafeInteger(seed)) {
    throw new ModelError('INVALID_SEED', `seed must be a safe integer, got ${seed}`);
  }
}

// Both halves of a 53-bit seed matter, so seeds 1 and 2**32 + 1 differ.
function fold(seed: number): number {
  const high = Math.floor(seed / 2 ** 32) >>> 0;
  return (seed >>> 0) ^ Math.imul(high, 0x27d4eb2d);
}

export function createRandom(seed: number): Random {
  assertSeed(seed);
  const mix = splitmix32(fold(seed));
  const next = xoshiro128StarStar(mix(), mix(), mix(), mix());
  return () => next() / 2 ** 32;
}

/** The raw generator (uint32 outputs) from an explicit state; exported so it can be checked against reference vectors. */
export function xoshiro128StarStar(a: number, b: number, c: number, d: number): () => number {
  // An all-zero state would only ever produce zeros.
  if ((a | b | c | d) === 0) a = 1;
  return () => {
    const result = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11);
    return result;
  };
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** A new seed for a sub-stream (a round, a silo) so streams of one job never overlap by accident. */
export function deriveSeed(seed: number, ...parts: number[]): number {
  assertSeed(seed);
  let h = fold(seed);
  for (const part of parts) {
    assertSeed(part);
    // Hashing h before mixing in the part keeps (seed, part) pairs apart; a plain xor would make (5, 2) == (6, 1).
    h = splitmix32(splitmix32(h)() ^ fold(part))();
  }
  return h >>> 0;
}

/** A uniformly random permutation of 0..n-1 (Fisher–Yates). */
export function shuffledIndices(n: number, random: Random): Uint32Array {
  const indices = new Uint32Array(n);
  for (let i = 0; i < n; i++) indices[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const tmp = indices[i];
    indices[i] = indices[j];
    indices[j] = tmp;
  }
  return indices;
}

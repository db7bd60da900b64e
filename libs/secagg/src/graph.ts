// The SecAgg+ communication graph: a Harary graph H(k, n) on a random relabelling of the silos (Bell et al. 2020, "Secure Single-Server Aggregation with (Poly)Logarithmic Overhead", §3).
import { createCipheriv } from 'node:crypto';
import { SecAggError } from './errors.js';

/**
 * The default degree for n silos under SecAgg+: O(log n) neighbours, 2·⌈log₂ n⌉ + 2 (even, so the Harary graph
 * is a ring with k/2 neighbours each side), capped at n − 1 where the graph is complete and SecAgg+ is SecAgg.
 */
export function secAggPlusDegree(silos: number): number {
  if (silos <= 1) return 0;
  return Math.min(silos - 1, 2 * Math.ceil(Math.log2(silos)) + 2);
}

/** A uniform permutation of 0 … n−1 from a seed (Fisher-Yates over AES-256-CTR words, rejection-sampled). */
function permutation(n: number, seed: Uint8Array): number[] {
  const cipher = createCipheriv('aes-256-ctr', seed, new Uint8Array(16));
  const word = () => {
    const b = cipher.update(new Uint8Array(4));
    return ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0;
  };
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const range = i + 1;
    const limit = Math.floor(2 ** 32 / range) * range;
    let r = word();
    while (r >= limit) r = word();
    const j = r % range;
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

/**
 * Each silo's neighbours: every other silo when `degree` ≥ n − 1, otherwise the k/2 silos on each side of it on
 * a ring ordered by a permutation drawn from `seed` (a hash of every advertised key, so no single party picks it).
 * The relation is symmetric: v is u's neighbour exactly when u is v's.
 */
export function neighbourhoods(
  silos: readonly string[],
  degree: number,
  seed: Uint8Array,
): Map<string, string[]> {
  const n = silos.length;
  const out = new Map<string, string[]>();
  if (degree >= n - 1) {
    for (const s of silos)
      out.set(
        s,
        silos.filter((o) => o !== s),
      );
    return out;
  }
  if (!Number.isInteger(degree) || degree < 2 || degree % 2 !== 0)
    throw new SecAggError(
      'INVALID_PARAMETERS',
      `a SecAgg+ degree below n − 1 must be an even integer ≥ 2, got ${degree}`,
    );
  const ring = permutation(n, seed).map((i) => silos[i]);
  ring.forEach((s, p) => {
    const around: string[] = [];
    for (let d = 1; d <= degree / 2; d++) around.push(ring[(p + d) % n], ring[(p - d + n) % n]);
    out.set(s, around);
  });
  return out;
}

// Distributed Skellam noise (Agarwal, Kairouz, Liu 2021, "The Skellam Mechanism for Differentially Private Federated Learning"): each of n silos adds Sk(μ/n, μ/n), the sum is Sk(μ, μ).
import { randomFillSync } from 'node:crypto';
import { samplePoisson } from './poisson.js';

/** Uniform doubles in [0, 1) from the operating system's CSPRNG, 53 bits each, drawn in batches. */
export function cryptoUniform(batch = 8192): () => number {
  const words = new Uint32Array(batch * 2);
  let next = words.length;
  return () => {
    if (next >= words.length) {
      randomFillSync(words);
      next = 0;
    }
    const hi = words[next++] >>> 5;
    const lo = words[next++] >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  };
}

/**
 * Adds Poisson(μ) − Poisson(μ) to every word modulo 2^bits: variance 2μ per coordinate. A silo's share is
 * μ = μ_total / n so that the survivors' sum carries what the accountant charged (see skellamShare).
 */
export function addSkellamNoise(into: Uint32Array, mu: number, bits: number, random: () => number): void {
  const m = bits === 32 ? 0xffffffff : 2 ** bits - 1;
  for (let i = 0; i < into.length; i++) {
    const z = samplePoisson(mu, random) - samplePoisson(mu, random);
    into[i] = (into[i] + z) & m;
  }
}

/** Per-coordinate probability the summed noise may exceed skellamBound: 1e-20, so 1e-14 over a million coordinates. */
export const SKELLAM_TAIL = 1e-20;

/**
 * The magnitude Sk(μ, μ) exceeds with probability below SKELLAM_TAIL, by the Chernoff bound on its moment
 * generating function E[e^{λZ}] = exp(2μ(cosh λ − 1)): P(|Z| ≥ t) ≤ 2·exp(2μ(√(1 + y²) − 1) − t·asinh y), y = t/2μ.
 * It is the noise headroom the quantizer keeps so the noised sum never wraps.
 */
export function skellamBound(totalMu: number): number {
  if (totalMu === 0) return 0;
  const exponent = (t: number) => {
    const y = t / (2 * totalMu);
    return Math.log(2) + 2 * totalMu * (Math.sqrt(1 + y * y) - 1) - t * Math.asinh(y);
  };
  const target = Math.log(SKELLAM_TAIL);
  let hi = 1;
  while (exponent(hi) > target) hi *= 2;
  let lo = hi / 2;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (exponent(mid) > target) lo = mid;
    else hi = mid;
  }
  return hi;
}

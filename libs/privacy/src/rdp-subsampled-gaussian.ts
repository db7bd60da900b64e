// RDP of the Poisson-subsampled Gaussian mechanism: Mironov, Talwar, Zhang 2019, "Rényi Differential Privacy of the Sampled Gaussian Mechanism" (arXiv:1908.10530), Sec. 3.3.

import { logAdd } from './log-add.js';
import { logErfc } from './log-erfc.js';
import { checkNoiseMultiplier, checkOrders, checkSamplingRate } from './validate.js';

/**
 * The fractional-order series converge polynomially when σ is small relative to q; after this many terms the order
 * is given up (RDP +Infinity, so it never sets epsilon) rather than reported too low — dp-accounting's rule.
 */
export const MAX_FRACTIONAL_TERMS = 1000;
/** Stop once both series shrink and their terms are below e^-30 of the running total (relative 1e-13). */
const RELATIVE_CUTOFF = 30;

/**
 * log A_α for integer α >= 2 and 0 < q < 1, where RDP = log A_α / (α − 1) and
 * A_α = Σ_{i=0}^{α} C(α, i) (1 − q)^{α−i} q^i exp((i² − i) / (2σ²)).
 */
export function logAInteger(q: number, sigma: number, alpha: number): number {
  const logQ = Math.log(q);
  const log1mQ = Math.log1p(-q);
  const twoVar = 2 * sigma * sigma;
  let logA = -Infinity;
  let logBinom = 0; // log C(α, 0); the recurrence C(α, i+1) = C(α, i)(α − i)/(i + 1) stays in log space.
  for (let i = 0; i <= alpha; i++) {
    logA = logAdd(logA, logBinom + i * logQ + (alpha - i) * log1mQ + (i * i - i) / twoVar);
    logBinom += Math.log(alpha - i) - Math.log(i + 1);
  }
  return logA;
}

/**
 * log A_α for fractional α > 1 and 0 < q < 1: A_α split at z0 = σ² log(1/q − 1) + 1/2 into two infinite series
 * (integrals over (−∞, z0] and [z0, ∞)). |C(α, i)| is used for every term, as in dp-accounting since 2024: the
 * alternating signs beyond i > α only lower the sum, so dropping them keeps an upper bound and avoids cancellation.
 * Returns +Infinity when the series have not converged after MAX_FRACTIONAL_TERMS terms.
 */
export function logAFractional(q: number, sigma: number, alpha: number): number {
  const logQ = Math.log(q);
  const log1mQ = Math.log1p(-q);
  const twoVar = 2 * sigma * sigma;
  const z0 = sigma * sigma * Math.log(1 / q - 1) + 0.5;
  const scale = Math.SQRT2 * sigma;
  let logA0 = -Infinity;
  let logA1 = -Infinity;
  let lastS0 = -Infinity;
  let lastS1 = -Infinity;
  let logBinom = 0; // log |C(α, i)|
  for (let i = 0; i < MAX_FRACTIONAL_TERMS; i++) {
    const j = alpha - i;
    const logT0 = logBinom + i * logQ + j * log1mQ;
    const logT1 = logBinom + j * logQ + i * log1mQ;
    const logE0 = Math.log(0.5) + logErfc((i - z0) / scale);
    const logE1 = Math.log(0.5) + logErfc((z0 - j) / scale);
    const logS0 = logT0 + (i * i - i) / twoVar + logE0;
    const logS1 = logT1 + (j * j - j) / twoVar + logE1;
    logA0 = logAdd(logA0, logS0);
    logA1 = logAdd(logA1, logS1);
    const total = logAdd(logA0, logA1);
    if (logS0 < lastS0 && logS1 < lastS1 && Math.max(logS0, logS1) < total - RELATIVE_CUTOFF) return total;
    lastS0 = logS0;
    lastS1 = logS1;
    logBinom += Math.log(Math.abs(alpha - i)) - Math.log(i + 1);
  }
  return Infinity;
}

/**
 * RDP at order α of one step of the Gaussian mechanism with noise multiplier σ (noise stddev / ℓ2 sensitivity) on a
 * Poisson sample of rate q, under add-or-remove-one adjacency. q = 0 → 0; σ = 0 or α = ∞ → ∞; q = 1 → α / (2σ²).
 */
export function rdpSubsampledGaussian(q: number, sigma: number, alpha: number): number {
  if (q === 0) return 0;
  if (alpha === Infinity || sigma === 0) return Infinity;
  if (q === 1) return alpha / (2 * sigma * sigma);
  const logA = Number.isInteger(alpha) ? logAInteger(q, sigma, alpha) : logAFractional(q, sigma, alpha);
  return logA / (alpha - 1);
}

/** rdpSubsampledGaussian at every order, after checking the arguments (orders > 1, +Infinity allowed). */
export function subsampledGaussianRdp(q: number, sigma: number, orders: ArrayLike<number>): Float64Array {
  checkSamplingRate(q);
  checkNoiseMultiplier(sigma);
  checkOrders(orders);
  const out = new Float64Array(orders.length);
  for (let k = 0; k < orders.length; k++) out[k] = rdpSubsampledGaussian(q, sigma, orders[k]);
  return out;
}

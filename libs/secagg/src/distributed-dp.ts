// Distributed DP under secure aggregation: each silo clips to L2 norm C, quantizes and adds Sk(μ/n, μ/n), so the sum carries Sk(μ, μ) (Agarwal, Kairouz, Liu 2021, §4; sensitivity of the rounded vector as in their Lemma 4.1 for unconditional rounding).
import { SecAggError } from './errors.js';
import { quantizationScale } from './quantize.js';
import { skellamBound } from './skellam.js';

export interface DistributedDpRequest {
  bits: number;
  /** Silos invited to the round: the overflow bound holds for all of them. */
  silos: number;
  /**
   * The fewest silos whose noise can reach the sum (the round aborts below it): each adds 1/noiseShares of the
   * noise, so even then the sum carries all of it, and more when more survive. Default: every silo.
   */
  noiseShares?: number;
  /** L2 clip norm of one silo's update; also the per-coordinate clip range. */
  clipNorm: number;
  /** Noise standard deviation of the full sum over its L2 sensitivity (σ / Δ₂). */
  noiseMultiplier: number;
  /** Words the quantized vector has (parameters + weight). */
  dimension: number;
}

export interface DistributedDpPlan {
  scale: number;
  /** Skellam parameter each silo adds: Poisson(μ/m) − Poisson(μ/m) per word, m = noiseShares. */
  muPerSilo: number;
  /** L2 and L1 sensitivity of one silo's quantized vector, in integer units. */
  l2: number;
  l1: number;
  /** Headroom kept for the noise of all silos (skellamBound). */
  noiseBound: number;
}

/** Largest Skellam μ the double-precision Poisson sampler draws exactly enough (its log-density terms stay below 2^40). */
export const MAX_MU = 1e12;

function sensitivities(scale: number, clipNorm: number, dimension: number): { l2: number; l1: number } {
  // Stochastic rounding moves each coordinate by less than 1, so the rounded vector is within √d of s·x.
  const l2 = scale * clipNorm + Math.sqrt(dimension);
  // Integer vectors: ‖v‖₁ ≤ ‖v‖₂² and ‖v‖₁ ≤ √d·‖v‖₂.
  return { l2, l1: Math.min(l2 * l2, Math.sqrt(dimension) * l2) };
}

/**
 * The quantizer scale and the per-silo noise for a target noise multiplier. The scale must leave room for the
 * noise and the noise grows with the scale: the largest scale whose worst case, n·(s·C + 1) plus the noise
 * bound, stays below 2^(bits−1) is found by bisection (the worst case grows with s).
 */
export function planDistributedDp(r: DistributedDpRequest): DistributedDpPlan {
  if (!(r.noiseMultiplier > 0 && Number.isFinite(r.noiseMultiplier)))
    throw new SecAggError('INVALID_PARAMETERS', `the noise multiplier must be > 0, got ${r.noiseMultiplier}`);
  const shares = r.noiseShares ?? r.silos;
  if (!Number.isInteger(shares) || shares < 1 || shares > r.silos)
    throw new SecAggError(
      'INVALID_PARAMETERS',
      `noiseShares must be an integer from 1 to ${r.silos}, got ${shares}`,
    );
  const room = 2 ** (r.bits - 1) - 1;
  const at = (scale: number) => {
    const { l2, l1 } = sensitivities(scale, r.clipNorm, r.dimension);
    const mu = (r.noiseMultiplier * l2) ** 2 / 2;
    // With every silo surviving the sum carries μ·n/m: the headroom is for that.
    const noiseBound = skellamBound((mu * r.silos) / shares);
    return {
      scale,
      muPerSilo: mu / shares,
      l2,
      l1,
      noiseBound,
      fits: r.silos * (scale * r.clipNorm + 1) + noiseBound <= room,
    };
  };
  let hi = quantizationScale({ bits: r.bits, silos: r.silos, clipRange: r.clipNorm });
  let lo = 0;
  for (let i = 0; i < 200 && hi - lo > hi * 1e-9; i++) {
    const mid = (lo + hi) / 2;
    if (at(mid).fits) lo = mid;
    else hi = mid;
  }
  // Beyond s·C = 100·√d the rounding adds under 1% to the sensitivity, and a larger scale only inflates μ,
  // which the Poisson sampler computes in doubles (exact only up to μ ≈ 1e12).
  const plan = at(Math.min(lo, (100 * Math.sqrt(r.dimension)) / r.clipNorm));
  // Fewer than 16 levels per clip norm would make the rounding error swamp the update.
  if (!plan.fits || plan.scale * r.clipNorm < 16 || plan.muPerSilo > MAX_MU)
    throw new SecAggError(
      'INVALID_PARAMETERS',
      `${r.bits} bits cannot hold the sum of ${r.silos} silos with noise multiplier ${r.noiseMultiplier} at ` +
        `${r.dimension} words: use more bits`,
    );
  return {
    scale: plan.scale,
    muPerSilo: plan.muPerSilo,
    l2: plan.l2,
    l1: plan.l1,
    noiseBound: plan.noiseBound,
  };
}

/**
 * What the sum of `survivors` silos' noise is worth, for the accountant: the Skellam μ of the sum and the noise
 * multiplier it amounts to. Fewer survivors means less noise, so the charge follows who actually took part.
 */
export function survivorsNoise(
  plan: DistributedDpPlan,
  survivors: number,
): { mu: number; l1: number; l2: number; noiseMultiplier: number } {
  const mu = plan.muPerSilo * survivors;
  return { mu, l1: plan.l1, l2: plan.l2, noiseMultiplier: Math.sqrt(2 * mu) / plan.l2 };
}

// RDP of the multi-dimensional Skellam mechanism: Agarwal, Kairouz, Liu 2021, "The Skellam Mechanism for Differentially Private Federated Learning", Theorem 3.5.

import { PrivacyError } from './errors.js';
import { checkOrders } from './validate.js';

/** One Skellam release: integer noise Sk(μ, μ) per coordinate (variance 2μ) on a sum of L1/L2 sensitivity. */
export interface SkellamMechanism {
  mu: number;
  l1: number;
  l2: number;
}

export function checkSkellam(m: SkellamMechanism): void {
  for (const [name, v] of [
    ['mu', m.mu],
    ['l1', m.l1],
    ['l2', m.l2],
  ] as const) {
    if (!(v > 0 && Number.isFinite(v)))
      throw new PrivacyError(
        'INVALID_NOISE_MULTIPLIER',
        `the Skellam ${name} must be finite and > 0, got ${v}`,
      );
  }
}

/**
 * ε(α) ≤ α·Δ₂²/(4μ) + min(((2α − 1)·Δ₂² + 6·Δ₁)/(16μ²), 3·Δ₁/(4μ)) for Sk(μ, μ) noise (variance 2μ): the
 * Gaussian's α·Δ₂²/(2σ²) plus a term for the discrete noise that vanishes as μ grows. The theorem is for integer
 * orders; fractional orders get +∞ (no bound), so the conversion to (ε, δ) picks among integer ones.
 */
export function skellamRdp(m: SkellamMechanism, orders: ArrayLike<number>): Float64Array {
  checkSkellam(m);
  checkOrders(orders);
  const { mu, l1, l2 } = m;
  const out = new Float64Array(orders.length);
  for (let k = 0; k < orders.length; k++) {
    const a = orders[k];
    if (!Number.isInteger(a)) {
      out[k] = Infinity;
      continue;
    }
    out[k] =
      (a * l2 * l2) / (4 * mu) +
      Math.min(((2 * a - 1) * l2 * l2 + 6 * l1) / (16 * mu * mu), (3 * l1) / (4 * mu));
  }
  return out;
}

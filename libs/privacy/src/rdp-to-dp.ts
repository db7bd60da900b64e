// RDP to (ε, δ)-DP, the tight conversion: Balle et al. 2020, "Hypothesis testing interpretations and Rényi differential privacy" (arXiv:1905.09982, Thm. 21), as dp-accounting's compute_epsilon / compute_delta.

import { PrivacyError } from './errors.js';
import { checkOrders } from './validate.js';

/** The formula divides by α − 1 and loses precision as α → 1; below this it is not used (it is also useless there). */
const MIN_ORDER_FOR_CONVERSION = 1.01;

export interface EpsilonAndOrder {
  /** The smallest ε over the orders; +Infinity when no order gives a finite bound. */
  epsilon: number;
  /** The order that gives it; 0 when δ = 0 (no order applies). */
  order: number;
}

export interface DeltaAndOrder {
  /** The smallest δ over the orders, at most 1. */
  delta: number;
  /** The order that gives it. */
  order: number;
}

function checkCurve(orders: ArrayLike<number>, rdp: ArrayLike<number>): void {
  checkOrders(orders);
  if (orders.length !== rdp.length)
    throw new PrivacyError('INVALID_ORDERS', `${orders.length} orders but ${rdp.length} RDP values`);
}

/** ε at one order; +Infinity when the order gives nothing. */
function epsilonAt(alpha: number, r: number, delta: number): number {
  // Negative RDP only comes from rounding in extreme settings; dp-accounting reads it as no loss.
  if (r < 0) return 0;
  // The KL bound δ <= sqrt(1 − e^{−r}) already gives ε = 0.
  if (delta * delta + Math.expm1(-r) > 0) return 0;
  // The limit of the formula as α → ∞ (pure DP at that order).
  if (alpha === Infinity) return r;
  if (alpha > MIN_ORDER_FOR_CONVERSION)
    return r + Math.log1p(-1 / alpha) - (Math.log(delta) + Math.log(alpha)) / (alpha - 1);
  return Infinity;
}

/**
 * (ε, δ)-DP from RDP: ε = min over α of rdp(α) + log1p(−1/α) − (log δ + log α)/(α − 1), floored at 0, with the
 * edge cases of dp-accounting: δ = 0 gives ε = 0 only when every RDP value is 0; orders whose KL bound already
 * meets δ give ε = 0; orders at or below 1.01 are skipped.
 */
export function epsilonFromRdp(
  orders: ArrayLike<number>,
  rdp: ArrayLike<number>,
  delta: number,
): EpsilonAndOrder {
  if (!(delta >= 0 && delta <= 1))
    throw new PrivacyError('INVALID_DELTA', `delta must be in [0, 1], got ${delta}`);
  checkCurve(orders, rdp);
  if (delta === 0) {
    for (let k = 0; k < rdp.length; k++) if (rdp[k] !== 0) return { epsilon: Infinity, order: 0 };
    return { epsilon: 0, order: 0 };
  }
  let best = Infinity;
  let bestOrder = orders[0];
  for (let k = 0; k < orders.length; k++) {
    const eps = epsilonAt(orders[k], rdp[k], delta);
    if (eps < best) {
      best = eps;
      bestOrder = orders[k];
    }
  }
  return { epsilon: Math.max(0, best), order: bestOrder };
}

/** log δ at one order: the KL bound, and for α > 1.01 the bound of Balle et al., whichever is smaller. */
function logDeltaAt(alpha: number, r: number, epsilon: number): number {
  if (r <= 0) return -Infinity;
  const kl = 0.5 * Math.log1p(-Math.exp(-r));
  if (alpha === Infinity) return r <= epsilon ? -Infinity : kl;
  if (alpha <= MIN_ORDER_FOR_CONVERSION) return kl;
  return Math.min(kl, (alpha - 1) * (r - epsilon + Math.log1p(-1 / alpha)) - Math.log(alpha));
}

/** The inverse: the smallest δ over the orders for a given ε (dp-accounting's compute_delta). */
export function deltaFromRdp(
  orders: ArrayLike<number>,
  rdp: ArrayLike<number>,
  epsilon: number,
): DeltaAndOrder {
  if (!(epsilon >= 0)) throw new PrivacyError('INVALID_EPSILON', `epsilon must be >= 0, got ${epsilon}`);
  checkCurve(orders, rdp);
  let best = Infinity;
  let bestOrder = orders[0];
  for (let k = 0; k < orders.length; k++) {
    const logDelta = logDeltaAt(orders[k], rdp[k], epsilon);
    if (logDelta < best) {
      best = logDelta;
      bestOrder = orders[k];
    }
  }
  return { delta: Math.min(Math.exp(best), 1), order: bestOrder };
}

// Composition of RDP guarantees: Mironov 2017, "Rényi Differential Privacy" (arXiv:1702.07476), Proposition 1 — RDP at each order adds up.

import { PrivacyError } from './errors.js';
import { checkSteps } from './validate.js';

/** RDP of `steps` runs of a mechanism whose one-run RDP is `rdp`; 0 steps cost nothing even where one costs ∞. */
export function composeRdp(rdp: ArrayLike<number>, steps: number): Float64Array {
  checkSteps(steps);
  const out = new Float64Array(rdp.length);
  if (steps === 0) return out;
  for (let k = 0; k < rdp.length; k++) out[k] = rdp[k] * steps;
  return out;
}

/** Sum of RDP curves over the same orders: the RDP of running the mechanisms one after another. */
export function addRdp(a: ArrayLike<number>, b: ArrayLike<number>): Float64Array {
  if (a.length !== b.length)
    throw new PrivacyError(
      'INVALID_ORDERS',
      `RDP curves over ${a.length} and ${b.length} orders cannot be added`,
    );
  const out = new Float64Array(a.length);
  for (let k = 0; k < a.length; k++) out[k] = a[k] + b[k];
  return out;
}

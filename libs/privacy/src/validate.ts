// Argument checks shared by every entry point, so a bad value fails with the same code and wording everywhere.

import { PrivacyError } from './errors.js';

export function checkSamplingRate(q: number): void {
  if (!(q >= 0 && q <= 1))
    throw new PrivacyError('INVALID_SAMPLING_RATE', `sampling rate must be in [0, 1], got ${q}`);
}

export function checkNoiseMultiplier(sigma: number): void {
  if (!(sigma >= 0 && Number.isFinite(sigma)))
    throw new PrivacyError(
      'INVALID_NOISE_MULTIPLIER',
      `noise multiplier must be finite and >= 0, got ${sigma}`,
    );
}

export function checkSteps(steps: number): void {
  if (!Number.isSafeInteger(steps) || steps < 0)
    throw new PrivacyError('INVALID_STEPS', `steps must be a non-negative integer, got ${steps}`);
}

/** Orders above 1 (RDP of order 1 is the KL divergence, which the series below do not give); +Infinity is allowed. */
export function checkOrders(orders: ArrayLike<number>): void {
  if (orders.length === 0) throw new PrivacyError('INVALID_ORDERS', 'at least one RDP order is needed');
  for (let i = 0; i < orders.length; i++) {
    if (!(orders[i] > 1))
      throw new PrivacyError('INVALID_ORDERS', `RDP orders must be > 1, got ${orders[i]}`);
  }
}

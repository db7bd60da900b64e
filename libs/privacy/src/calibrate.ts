// The smallest noise multiplier meeting a target (ε, δ) for T subsampled Gaussian steps — bisection on the RDP accountant of Mironov, Talwar, Zhang 2019 with the Balle et al. 2020 conversion.

import { PrivacyError } from './errors.js';
import { dpSgdEpsilon } from './dp-sgd-epsilon.js';
import { DEFAULT_ORDERS } from './orders.js';
import { checkOrders, checkSamplingRate, checkSteps } from './validate.js';

/** Beyond this no useful training is left; a target that needs more is reported as unreachable (Opacus uses 1e6 too). */
export const MAX_NOISE_MULTIPLIER = 1e6;
/** Below this the search stops looking for a smaller multiplier: the target is met with practically no noise. */
export const MIN_NOISE_MULTIPLIER = 1e-6;
/** The brief of issue 4 asks for 1e-4 or better; 1e-5 costs three more evaluations. */
export const DEFAULT_RELATIVE_TOLERANCE = 1e-5;

export interface CalibrationRequest {
  targetEpsilon: number;
  delta: number;
  samplingRate: number;
  steps: number;
  orders?: readonly number[];
  /** Stop when the bracket [lo, hi] satisfies hi − lo <= relativeTolerance · hi; in (0, 1e-4]. */
  relativeTolerance?: number;
}

export interface Calibration {
  /** The upper end of the final bracket: its epsilon is at most the target, the lower end's is above it. */
  noiseMultiplier: number;
  /** Epsilon at that noise multiplier (<= targetEpsilon). */
  epsilon: number;
  /** Optimal RDP order at that noise multiplier. */
  order: number;
}

function check(req: CalibrationRequest, tolerance: number): void {
  if (!(req.targetEpsilon > 0 && Number.isFinite(req.targetEpsilon)))
    throw new PrivacyError(
      'INVALID_EPSILON',
      `target epsilon must be finite and > 0, got ${req.targetEpsilon}`,
    );
  if (!(req.delta > 0 && req.delta < 1))
    throw new PrivacyError('INVALID_DELTA', `delta must be in (0, 1), got ${req.delta}`);
  checkSamplingRate(req.samplingRate);
  if (req.samplingRate === 0)
    throw new PrivacyError('INVALID_SAMPLING_RATE', 'sampling rate must be > 0: nothing to calibrate at 0');
  checkSteps(req.steps);
  if (req.steps === 0)
    throw new PrivacyError('INVALID_STEPS', 'steps must be > 0: nothing to calibrate for 0 steps');
  if (req.orders) checkOrders(req.orders);
  if (!(tolerance > 0 && tolerance <= 1e-4))
    throw new PrivacyError('INVALID_TOLERANCE', `relative tolerance must be in (0, 1e-4], got ${tolerance}`);
}

/**
 * The smallest σ (to the relative tolerance) whose ε at δ after `steps` steps of rate q is <= targetEpsilon.
 * ε falls as σ grows, so: bracket by doubling or halving from σ = 1, then bisect. The answer errs on the safe side
 * (the returned σ always meets the target). Throws TARGET_UNREACHABLE when σ = MAX_NOISE_MULTIPLIER is not enough.
 */
export function calibrateNoiseMultiplier(req: CalibrationRequest): Calibration {
  const tolerance = req.relativeTolerance ?? DEFAULT_RELATIVE_TOLERANCE;
  check(req, tolerance);
  const orders = req.orders ?? DEFAULT_ORDERS;
  const at = (noiseMultiplier: number) =>
    dpSgdEpsilon({ samplingRate: req.samplingRate, noiseMultiplier, steps: req.steps, orders }, req.delta);
  const meets = (r: { epsilon: number }) => r.epsilon <= req.targetEpsilon;

  let hi = 1;
  let atHi = at(hi);
  let lo: number;
  if (meets(atHi)) {
    lo = hi / 2;
    while (meets(at(lo))) {
      hi = lo;
      if (hi <= MIN_NOISE_MULTIPLIER) return { noiseMultiplier: hi, ...at(hi) };
      lo = hi / 2;
    }
    atHi = at(hi);
  } else {
    lo = hi;
    for (;;) {
      hi = lo * 2;
      atHi = at(hi);
      if (meets(atHi)) break;
      if (hi >= MAX_NOISE_MULTIPLIER)
        throw new PrivacyError(
          'TARGET_UNREACHABLE',
          `epsilon ${req.targetEpsilon} at delta ${req.delta} is out of reach for ${req.steps} steps at sampling rate ` +
            `${req.samplingRate}: even noise multiplier ${hi} gives epsilon ${atHi.epsilon}`,
        );
      lo = hi;
    }
  }
  while (hi - lo > tolerance * hi) {
    const mid = (lo + hi) / 2;
    const atMid = at(mid);
    if (meets(atMid)) {
      hi = mid;
      atHi = atMid;
    } else lo = mid;
  }
  return { noiseMultiplier: hi, epsilon: atHi.epsilon, order: atHi.order };
}

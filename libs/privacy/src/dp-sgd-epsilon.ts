// (ε, δ) of T steps of the Poisson-subsampled Gaussian mechanism (DP-SGD): Mironov, Talwar, Zhang 2019 RDP, composed (Mironov 2017), converted as Balle et al. 2020.

import { composeRdp } from './rdp-composition.js';
import { subsampledGaussianRdp } from './rdp-subsampled-gaussian.js';
import { deltaFromRdp, epsilonFromRdp, type DeltaAndOrder, type EpsilonAndOrder } from './rdp-to-dp.js';
import { DEFAULT_ORDERS } from './orders.js';

export interface SampledGaussianRun {
  /** Poisson sampling rate q: each record joins a step's batch independently with this probability. */
  samplingRate: number;
  /** Noise standard deviation divided by the ℓ2 sensitivity (the clip norm). */
  noiseMultiplier: number;
  /** Number of steps T. */
  steps: number;
  /** Rényi orders to optimise over; DEFAULT_ORDERS when absent. */
  orders?: readonly number[];
}

/** The RDP curve of the whole run: T times the one-step RDP, at every order. */
export function dpSgdRdp(run: SampledGaussianRun): Float64Array {
  const orders = run.orders ?? DEFAULT_ORDERS;
  return composeRdp(subsampledGaussianRdp(run.samplingRate, run.noiseMultiplier, orders), run.steps);
}

/** ε spent by the run at δ, and the optimal order. */
export function dpSgdEpsilon(run: SampledGaussianRun, delta: number): EpsilonAndOrder {
  return epsilonFromRdp(run.orders ?? DEFAULT_ORDERS, dpSgdRdp(run), delta);
}

/** δ of the run at ε, and the optimal order. */
export function dpSgdDelta(run: SampledGaussianRun, epsilon: number): DeltaAndOrder {
  return deltaFromRdp(run.orders ?? DEFAULT_ORDERS, dpSgdRdp(run), epsilon);
}

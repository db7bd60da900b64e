// A job's privacy accountant: RDP of the Poisson-subsampled Gaussian (Mironov, Talwar, Zhang 2019) or of the Skellam mechanism (Agarwal et al. 2021), composed over rounds (Mironov 2017), reported as (ε, δ) (Balle et al. 2020).

import { z } from 'zod';
import { PrivacyError } from './errors.js';
import { DEFAULT_ORDERS } from './orders.js';
import { composeRdp } from './rdp-composition.js';
import { subsampledGaussianRdp } from './rdp-subsampled-gaussian.js';
import { checkSkellam, skellamRdp, type SkellamMechanism } from './rdp-skellam.js';
import { deltaFromRdp, epsilonFromRdp, type DeltaAndOrder } from './rdp-to-dp.js';
import { checkNoiseMultiplier, checkSamplingRate, checkSteps } from './validate.js';

/** Tag of the stored form, so a ledger can tell this accountant's JSON from a future one. */
export const ACCOUNTANT_FORMAT = 'cohort.privacy.rdp-accountant/v1';

/**
 * One kind of step: Poisson sampling at `samplingRate`, Gaussian noise of `noiseMultiplier` × sensitivity; or,
 * with `skellam`, integer Skellam noise on a quantized sum (secure aggregation's distributed DP), charged by its
 * own bound (sampling rate 1, `noiseMultiplier` then only reports √(2μ)/Δ₂).
 */
export interface StepMechanism {
  samplingRate: number;
  noiseMultiplier: number;
  skellam?: SkellamMechanism;
}

/** `count` identical steps, as recorded. */
export interface RecordedSteps extends StepMechanism {
  count: number;
}

export interface PrivacySpent {
  epsilon: number;
  delta: number;
  /** The Rényi order that gives this epsilon. */
  order: number;
}

/** The stored form: the orders and the step history; RDP is recomputed on load, so nothing derived is trusted. */
export interface AccountantState {
  format: typeof ACCOUNTANT_FORMAT;
  orders: number[];
  steps: RecordedSteps[];
}

const stateSchema = z.object({
  format: z.literal(ACCOUNTANT_FORMAT),
  orders: z.array(z.number().finite().gt(1)).min(1),
  steps: z.array(
    z.object({
      samplingRate: z.number().min(0).max(1),
      noiseMultiplier: z.number().finite().min(0),
      count: z.number().int().min(0),
      skellam: z.object({ mu: z.number().gt(0), l1: z.number().gt(0), l2: z.number().gt(0) }).optional(),
    }),
  ),
});

function checkDelta(delta: number): void {
  if (!(delta > 0 && delta < 1))
    throw new PrivacyError('INVALID_DELTA', `delta must be in (0, 1), got ${delta}`);
}

function checkMechanism(step: StepMechanism): void {
  checkSamplingRate(step.samplingRate);
  checkNoiseMultiplier(step.noiseMultiplier);
  if (step.skellam) {
    checkSkellam(step.skellam);
    if (step.samplingRate !== 1)
      throw new PrivacyError(
        'INVALID_SAMPLING_RATE',
        'a Skellam step is accounted without subsampling: rate 1',
      );
  }
}

function sameMechanism(a: StepMechanism, b: StepMechanism): boolean {
  return (
    a.samplingRate === b.samplingRate &&
    a.noiseMultiplier === b.noiseMultiplier &&
    a.skellam?.mu === b.skellam?.mu &&
    a.skellam?.l1 === b.skellam?.l1 &&
    a.skellam?.l2 === b.skellam?.l2
  );
}

/**
 * Tracks what a job has spent. The aggregator records every round it runs (`record`) and asks, before the next one,
 * what epsilon would be after it (`predict`) or how many more rounds fit (`remainingSteps`), so it stops before a
 * round would exceed the target rather than after.
 */
export class Accountant {
  readonly orders: readonly number[];
  private readonly history: RecordedSteps[] = [];
  private readonly total: Float64Array;
  /** One-step RDP curves by mechanism: a job records the same (q, σ) every round. */
  private readonly perStep = new Map<string, Float64Array>();

  constructor(options: { orders?: readonly number[] } = {}) {
    const orders = options.orders ?? DEFAULT_ORDERS;
    if (orders.length === 0 || orders.some((a) => !(a > 1) || !Number.isFinite(a)))
      throw new PrivacyError('INVALID_ORDERS', 'an accountant needs finite RDP orders, all > 1');
    this.orders = Object.freeze([...orders]);
    this.total = new Float64Array(orders.length);
  }

  /** Charges `count` steps (default 1) of the mechanism. */
  record(step: StepMechanism & { count?: number }): void {
    const count = step.count ?? 1;
    checkMechanism(step);
    checkSteps(count);
    if (count === 0) return;
    const added = composeRdp(this.rdpOfOneStep(step), count);
    for (let k = 0; k < added.length; k++) this.total[k] += added[k];
    const last = this.history.at(-1);
    if (last && sameMechanism(last, step)) last.count += count;
    else
      this.history.push({
        samplingRate: step.samplingRate,
        noiseMultiplier: step.noiseMultiplier,
        count,
        ...(step.skellam ? { skellam: { ...step.skellam } } : {}),
      });
  }

  /** The recorded steps, consecutive identical mechanisms merged. */
  get steps(): readonly RecordedSteps[] {
    return this.history.map((s) => ({ ...s, ...(s.skellam ? { skellam: { ...s.skellam } } : {}) }));
  }

  get totalSteps(): number {
    return this.history.reduce((n, s) => n + s.count, 0);
  }

  /** A copy of the composed RDP curve, one value per order. */
  rdp(): Float64Array {
    return Float64Array.from(this.total);
  }

  /** (ε, δ) spent so far at δ, and the optimal order. */
  spent(delta: number): PrivacySpent {
    checkDelta(delta);
    return { ...epsilonFromRdp(this.orders, this.total, delta), delta };
  }

  /** δ spent so far at ε. */
  deltaAt(epsilon: number): DeltaAndOrder {
    return deltaFromRdp(this.orders, this.total, epsilon);
  }

  /** (ε, δ) after `count` more steps of the mechanism, without recording them. */
  predict(step: StepMechanism & { count: number }, delta: number): PrivacySpent {
    checkDelta(delta);
    checkMechanism(step);
    checkSteps(step.count);
    return { ...epsilonFromRdp(this.orders, this.withMore(step, step.count), delta), delta };
  }

  /**
   * How many more steps of the mechanism fit before epsilon at δ would exceed `targetEpsilon` (0 when the next one
   * would already exceed it), searched up to `limit`. Epsilon never decreases with more steps, so a binary search.
   */
  remainingSteps(
    step: StepMechanism,
    budget: { epsilon: number; delta: number },
    limit = 1_000_000_000,
  ): number {
    checkDelta(budget.delta);
    checkMechanism(step);
    checkSteps(limit);
    if (!(budget.epsilon >= 0))
      throw new PrivacyError('INVALID_EPSILON', `epsilon must be >= 0, got ${budget.epsilon}`);
    const fits = (k: number) =>
      epsilonFromRdp(this.orders, this.withMore(step, k), budget.delta).epsilon <= budget.epsilon;
    if (!fits(0)) return 0;
    let lo = 0; // fits
    let hi = 1; // grown until it does not fit
    while (hi < limit && fits(hi)) {
      lo = hi;
      hi = Math.min(hi * 2, limit);
    }
    if (hi === limit && fits(hi)) return limit;
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (fits(mid)) lo = mid;
      else hi = mid;
    }
    return lo;
  }

  toJSON(): AccountantState {
    return { format: ACCOUNTANT_FORMAT, orders: [...this.orders], steps: [...this.steps] };
  }

  /** Rebuilds an accountant from `toJSON()` output (already parsed from text), recomputing its RDP. */
  static fromJSON(value: unknown): Accountant {
    const parsed = stateSchema.safeParse(value);
    if (!parsed.success)
      throw new PrivacyError(
        'INVALID_STATE',
        `not a stored privacy accountant: ${parsed.error.issues[0]?.message}`,
      );
    const accountant = new Accountant({ orders: parsed.data.orders });
    for (const step of parsed.data.steps) accountant.record(step);
    return accountant;
  }

  private withMore(step: StepMechanism, count: number): Float64Array {
    const more = composeRdp(this.rdpOfOneStep(step), count);
    for (let k = 0; k < more.length; k++) more[k] += this.total[k];
    return more;
  }

  private rdpOfOneStep(step: StepMechanism): Float64Array {
    const sk = step.skellam;
    const key = sk ? `skellam/${sk.mu}/${sk.l1}/${sk.l2}` : `${step.samplingRate}/${step.noiseMultiplier}`;
    let rdp = this.perStep.get(key);
    if (!rdp) {
      rdp = sk
        ? skellamRdp(sk, this.orders)
        : subsampledGaussianRdp(step.samplingRate, step.noiseMultiplier, this.orders);
      this.perStep.set(key, rdp);
    }
    return rdp;
  }
}

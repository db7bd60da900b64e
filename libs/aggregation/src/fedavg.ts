// FedAvg, the example-weighted mean of client updates (McMahan et al. 2017, "Communication-Efficient Learning of Deep Networks from Decentralized Data", Algorithm 1).
import { AggregationError } from './errors.js';
import { assertFinite, assertLength } from './vectors.js';

/** One site's model delta (local weights minus global weights) and its number of training examples. */
export interface WeightedUpdate {
  delta: Float32Array;
  weight: number;
}

/**
 * Folds updates in as they arrive, so a round over hundreds of sites holds one running sum (O(P) memory)
 * rather than every update. Sums are kept in float64: a float32 running sum silently drops a small site's
 * contribution once the total is large (2^24 + 1 === 2^24 in float32).
 */
export class MeanAccumulator {
  readonly length: number;
  private readonly sum: Float64Array;
  private weightSum = 0;
  private added = 0;

  constructor(length: number) {
    if (!Number.isSafeInteger(length) || length <= 0) {
      throw new AggregationError(
        'INVALID_PARAMETER',
        `parameter count must be a positive integer; got ${length}`,
      );
    }
    this.length = length;
    this.sum = new Float64Array(length);
  }

  /** Number of updates folded in so far. */
  get count(): number {
    return this.added;
  }

  /** Sum of the weights folded in so far. */
  get totalWeight(): number {
    return this.weightSum;
  }

  /**
   * Adds one update. Every check runs before the sum changes, so a refused update leaves the accumulator
   * exactly as it was and the round can go on without that site. Updates are numbered from 0 in messages.
   */
  add(delta: Float32Array, weight: number): void {
    const what = `update ${this.added}`;
    if (!Number.isFinite(weight) || weight <= 0) {
      throw new AggregationError(
        'INVALID_WEIGHT',
        `${what} has weight ${weight}; weights are example counts and must be positive and finite`,
      );
    }
    assertLength(what, delta, this.length);
    assertFinite(what, delta);
    const sum = this.sum;
    for (let i = 0; i < sum.length; i++) sum[i] += weight * delta[i];
    this.weightSum += weight;
    this.added++;
  }

  /** The weighted mean so far, rounded once to float32; the accumulator can keep taking updates. */
  result(): Float32Array {
    if (this.added === 0) throw new AggregationError('NO_UPDATES', 'no updates to aggregate');
    const out = new Float32Array(this.length);
    for (let i = 0; i < out.length; i++) out[i] = this.sum[i] / this.weightSum;
    return out;
  }
}

/** A streaming FedAvg accumulator for updates of `length` parameters. */
export function createMeanAccumulator(length: number): MeanAccumulator {
  return new MeanAccumulator(length);
}

/** The example-weighted mean Σ nₖΔₖ / Σ nₖ of the updates; all must have the first update's length. */
export function fedAvg(updates: readonly WeightedUpdate[]): Float32Array {
  if (updates.length === 0) throw new AggregationError('NO_UPDATES', 'no updates to aggregate');
  const acc = new MeanAccumulator(updates[0].delta.length);
  for (const u of updates) acc.add(u.delta, u.weight);
  return acc.result();
}

// A silo's update as the integer vector secure aggregation sums, and the sum back as an update: clip, weight, quantize into Z_{2^k}, noise (Bonawitz et al. 2017 §2; Skellam noise of Agarwal et al. 2021).
import { randomInt } from 'node:crypto';
import { createRandom } from '@cohort/model';
import { SecAggError } from './errors.js';
import { dequantize, quantizeInto, reduce } from './quantize.js';
import { addSkellamNoise, cryptoUniform } from './skellam.js';

/** How every silo of a round encodes: the same for all, fixed by the aggregator. */
export interface InputCodec {
  bits: number;
  scale: number;
  clipRange: number;
  /** Example count at which a silo's weight reaches 1 (without DP). */
  maxWeight: number;
  /** DP: clip the update to this L2 norm and weigh silos equally; 0 without DP. */
  clipNorm: number;
  /** DP: the Skellam μ this silo adds per word; 0 without DP. */
  noiseMu: number;
}

/**
 * Stochastic rounding needs independent draws, not secret ones (the noise, which must be unpredictable, has its
 * own CSPRNG source): a fast generator seeded afresh from the CSPRNG for every update.
 */
function roundingRandom(): () => number {
  return createRandom(randomInt(2 ** 48 - 1));
}

/** Clips to an L2 norm (a copy). */
function clipL2(update: Float32Array, norm: number): Float32Array {
  let sq = 0;
  for (const v of update) sq += v * v;
  const n = Math.sqrt(sq);
  if (!(n > norm)) return Float32Array.from(update);
  const f = norm / n;
  return update.map((v) => v * f);
}

/**
 * The vector a silo masks: its update scaled by its weight, then the weight itself, quantized. Without DP the
 * weight is min(examples, maxWeight) / maxWeight, so the sum divided by the summed weight is FedAvg. With DP the
 * update is clipped to clipNorm, every silo weighs the same (no count leaves the silo) and the noise is added.
 */
export function encodeInput(
  update: Float32Array,
  examples: number,
  codec: InputCodec,
  random: () => number = roundingRandom(),
  noiseRandom: () => number = cryptoUniform(),
): Uint32Array {
  if (!(examples >= 0) || !Number.isFinite(examples))
    throw new SecAggError('OUT_OF_RANGE', `an example count must be a non-negative number, got ${examples}`);
  const out = new Uint32Array(update.length + 1);
  if (codec.clipNorm > 0) {
    quantizeInto(out, 0, clipL2(update, codec.clipNorm), codec.scale, codec.clipRange, 1, random);
    // The same integer for every silo: it carries no information, so it adds no sensitivity.
    out[update.length] = Math.round(codec.scale * codec.clipRange) >>> 0;
  } else {
    const weight = Math.min(examples, codec.maxWeight) / codec.maxWeight;
    quantizeInto(out, 0, update, codec.scale, codec.clipRange, weight, random);
    quantizeInto(out, update.length, [codec.clipRange], codec.scale, codec.clipRange, weight, random);
  }
  reduce(out, codec.bits);
  // The weight word is public under DP (the same for every silo), so only the update's words are noised.
  if (codec.noiseMu > 0)
    addSkellamNoise(out.subarray(0, update.length), codec.noiseMu, codec.bits, noiseRandom);
  return out;
}

/** The unmasked sum as reals: the weighted sum of the updates and the summed weight. */
export function decodeSum(sum: Uint32Array, codec: InputCodec): { sum: Float64Array; weight: number } {
  const values = dequantize(sum, codec.scale, codec.bits);
  const weight = values[values.length - 1] / codec.clipRange;
  return { sum: values.subarray(0, values.length - 1), weight };
}

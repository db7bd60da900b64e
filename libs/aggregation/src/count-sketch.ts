// Count sketch (Charikar, Chen and Farach-Colton 2002, "Finding Frequent Items in Data Streams", ICALP), used as a linear random projection that keeps inner products in expectation.

/**
 * Sketch width: the sketched inner product of two vectors errs by about ‖x‖‖y‖/√width (1.6 % at 4,096), ample
 * for telling a far-off update from the rest, and 100 silos' sketches take 1.6 MB.
 */
export const SKETCH_WIDTH = 4096;

interface Plan {
  /** bucket · 2 + (sign bit), per coordinate. */
  readonly slots: Int32Array;
}

const plans = new Map<string, Plan>();

// murmur3's 32-bit finaliser: every input bit flips each output bit with probability about one half.
function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85eb_ca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2_ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function planFor(length: number, width: number, seed: number): Plan {
  const id = `${length}/${width}/${seed}`;
  let plan = plans.get(id);
  if (!plan) {
    const slots = new Int32Array(length);
    for (let j = 0; j < length; j++) {
      const h = mix((j ^ seed) >>> 0);
      slots[j] = ((h % width) << 1) | (h >>> 31);
    }
    plan = { slots };
    // One plan per model size is all a federation needs; a bound keeps a long-lived enclave from collecting them.
    if (plans.size >= 8) plans.clear();
    plans.set(id, plan);
  }
  return plan;
}

/**
 * The count sketch S·x: coordinate j is added, with a pseudo-random sign, to one of `width` buckets. Linear, so
 * the sketch of a weighted mean is the weighted mean of the sketches. Vectors no longer than `width` are
 * returned as an exact copy (the identity sketch), so small models get exact scores.
 */
export function countSketch(x: Float32Array, width: number = SKETCH_WIDTH, seed = 0x2545_f491): Float32Array {
  if (x.length <= width) return x.slice();
  const { slots } = planFor(x.length, width, seed);
  const out = new Float64Array(width);
  for (let j = 0; j < x.length; j++) {
    const s = slots[j];
    out[s >> 1] += s & 1 ? -x[j] : x[j];
  }
  return new Float32Array(out);
}

// FedAvg, the example-weighted mean of client updates (McMahan et al. 2017, "Communication-Efficient Learning of Deep Networks from Decentralized Data", Algorithm 1).
import { weightedSum } from './blocked-sums.js';
import { AggregationError } from './errors.js';
import { checkUpdates } from './updates.js';
import { assertFinite, assertLength } from './vectors.js';
import { assembleModule, op, T, uleb, type WasmFunction } from './wasm-assembler.js';

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
  add(delta: Float32Array, weight: number, scale = 1): void {
    const what = `update ${this.added}`;
    if (!Number.isFinite(weight) || weight <= 0) {
      throw new AggregationError(
        'INVALID_WEIGHT',
        `${what} has weight ${weight}; weights are example counts and must be positive and finite`,
      );
    }
    assertLength(what, delta, this.length);
    assertFinite(what, delta);
    // `scale` shrinks the update itself (norm bounding's projection) while the weight still counts in full.
    const coefficient = weight * scale;
    const sum = this.sum;
    for (let i = 0; i < sum.length; i++) sum[i] += coefficient * delta[i];
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

/**
 * The example-weighted mean Σ nₖΔₖ / Σ nₖ of the updates; all must have the first update's length. Same result as
 * folding them into a MeanAccumulator (bit for bit on the WebAssembly path, which sums each coordinate in the same
 * order), but several times faster: each coordinate's sum stays in a register across all N updates instead of a
 * float64 array being re-read and re-written once per update.
 */
export function fedAvg(updates: readonly WeightedUpdate[]): Float32Array {
  if (updates.length === 0) throw new AggregationError('NO_UPDATES', 'no updates to aggregate');
  const length = updates[0].delta.length;
  const n = updates.length;
  const deltas: Float32Array[] = new Array<Float32Array>(n);
  const weights = new Float64Array(n);
  let weightSum = 0;
  for (let i = 0; i < n; i++) {
    const { delta, weight } = updates[i];
    // checkUpdates names the first bad update in order, as the streaming path would; it runs only on failure.
    if (!(Number.isFinite(weight) && weight > 0) || delta.length !== length || length === 0) {
      checkUpdates(updates);
    }
    deltas[i] = delta;
    weights[i] = weight;
    weightSum += weight;
  }
  // Finiteness is screened on the result rather than by a separate pass over N×P inputs: a NaN or ±Infinity in
  // any update makes its coordinate's sum non-finite. Only then is every update scanned, to name the culprit.
  const out = weightedMean(deltas, weights, weightSum);
  if (out) return out;
  checkUpdates(updates);
  // Every input is finite, so a product nₖΔₖ overflowed (weights near 1e300): normalised weights cannot.
  const normalised = weights.map((w) => w / weightSum);
  const retry = weightedMean(deltas, normalised, 1);
  if (retry) return retry;
  throw new AggregationError('NON_FINITE_VALUE', 'the weighted mean overflowed');
}

/** Σ wᵢxᵢ / divisor rounded to float32, or undefined when some coordinate is not finite. */
function weightedMean(
  deltas: readonly Float32Array[],
  weights: Float64Array,
  divisor: number,
): Float32Array | undefined {
  const length = deltas[0].length;
  const out = new Float32Array(length);
  let screen = 0;
  const kernel = sumKernel();
  if (kernel === undefined) {
    const sum = weightedSum(deltas, weights);
    for (let k = 0; k < length; k++) {
      const s = sum[k];
      screen += s - s;
      out[k] = s / divisor;
    }
    return screen === 0 ? out : undefined;
  }
  const n = deltas.length;
  // A block of N rows is copied into WebAssembly memory, sized so it stays in L2 (about 256 KiB) while the kernel
  // walks down its columns; the column count is a multiple of STEP, the floats the kernel takes per step.
  const cols = Math.max(256, Math.min(4096, Math.floor(65536 / n) & ~(STEP - 1)));
  const coefAt = 0;
  const screenAt = align16(8 * n);
  const outAt = screenAt + 16;
  const srcAt = outAt + 4 * cols;
  const buffer = kernel.reserve(srcAt + 4 * n * cols);
  new Float64Array(buffer, coefAt, n).set(weights);
  const screenLanes = new Float64Array(buffer, screenAt, 2).fill(0);
  const mean = new Float32Array(buffer, outAt, cols);
  const src = new Float32Array(buffer, srcAt, n * cols);
  for (let start = 0; start < length; start += cols) {
    const count = Math.min(cols, length - start);
    // A short last block is rounded up to STEP columns of zeros: memory left over from an earlier call may hold
    // anything, a rejected NaN included, and the screen covers every column the kernel sums.
    const padded = (count + STEP - 1) & ~(STEP - 1);
    for (let i = 0; i < n; i++) {
      src.set(deltas[i].subarray(start, start + count), i * cols);
      if (padded > count) src.fill(0, i * cols + count, i * cols + padded);
    }
    kernel.meanColumns(srcAt, n, cols * 4, padded * 4, coefAt, outAt, divisor, screenAt);
    out.set(count === cols ? mean : mean.subarray(0, count), start);
  }
  screen = screenLanes[0] + screenLanes[1];
  return screen === 0 ? out : undefined;
}

const align16 = (x: number): number => (x + 15) & ~15;

// ---------------------------------------------------------------------------------------------------------------
// The WebAssembly SIMD kernel (WebAssembly Core 2.0): plain JavaScript cannot vectorise the widening
// float32 → float64 multiply-add, and without it FedAvg loses to NumPy's np.average on small shapes.

const simd = (code: number): number[] => [0xfd, ...uleb(code)];
const V = {
  load64Zero: (offset: number) => [...simd(0x5d), 3, ...uleb(offset)],
  f64x2Splat: simd(0x14),
  f64x2PromoteLow: simd(0x5f),
  f64x2Add: simd(0xf0),
  f64x2Sub: simd(0xf1),
  f64x2Mul: simd(0xf2),
  f64x2Div: simd(0xf3),
  f32x4DemoteZero: simd(0x5e),
  /** v128.store64_lane 0: the low two float32 lanes. */
  store64Lane: (offset: number) => [...simd(0x5b), 3, ...uleb(offset), 0],
};

/** Float32 columns the kernel takes per step: four accumulators of two float64 lanes, to hide the add latency. */
const STEP = 8;

/**
 * (func $meanColumns (param $src $rows $rowBytes $colBytes $coef $out i32) (param $divisor f64) (param $screen i32)
 *   (local $p $a $c $end $o i32) (local $w $acc0 $acc1 $acc2 $acc3 $div $scr $s v128))
 * out[k] = f32((Σᵢ coef[i]·src[i][k]) / divisor) for k < colBytes / 4 (a multiple of STEP), rows i in order, and
 * the two float64 lanes at $screen accumulate Σ (sum − sum), which is NaN as soon as one sum is not finite.
 * Writing float32 here, rather than float64 sums for JavaScript to divide, saves a pass that costs as much as the
 * arithmetic on small shapes.
 */
function meanColumnsFunction(): WasmFunction {
  const [src, rows, rowBytes, colBytes, coef, out, divisor, screen] = [0, 1, 2, 3, 4, 5, 6, 7];
  const [p, a, c, end, o, w, acc0] = [8, 9, 10, 11, 12, 13, 14];
  const [div, scr, sv] = [18, 19, 20];
  const lanes = [0, 1, 2, 3];
  return {
    name: 'meanColumns',
    params: [T.i32, T.i32, T.i32, T.i32, T.i32, T.i32, T.f64, T.i32],
    locals: [
      [5, T.i32],
      [8, T.v128],
    ],
    body: [
      ...[...op.i32Const(0), ...op.set(p), ...op.get(out), ...op.set(o)],
      ...[...op.get(divisor), ...V.f64x2Splat, ...op.set(div)],
      ...[...op.get(screen), ...op.v128Load(), ...op.set(scr)],
      ...[...op.get(coef), ...op.get(rows), ...op.i32Const(3), ...op.i32Shl, ...op.i32Add, ...op.set(end)],
      ...[...op.block, ...op.loop],
      ...[...op.get(p), ...op.get(colBytes), ...op.i32GeU, ...op.brIf(1)],
      ...lanes.flatMap((t) => [...op.v128Zero, ...op.set(acc0 + t)]),
      ...[...op.get(src), ...op.get(p), ...op.i32Add, ...op.set(a), ...op.get(coef), ...op.set(c)],
      ...[...op.block, ...op.loop],
      ...[...op.get(c), ...op.get(end), ...op.i32GeU, ...op.brIf(1)],
      ...[...op.get(c), ...op.f64Load(), ...V.f64x2Splat, ...op.set(w)],
      // acc_t += promote(two floats at a + 8t) · w
      ...lanes.flatMap((t) => [
        ...[...op.get(a), ...V.load64Zero(8 * t), ...V.f64x2PromoteLow, ...op.get(w), ...V.f64x2Mul],
        ...[...op.get(acc0 + t), ...V.f64x2Add, ...op.set(acc0 + t)],
      ]),
      ...[...op.get(a), ...op.get(rowBytes), ...op.i32Add, ...op.set(a)],
      ...[...op.get(c), ...op.i32Const(8), ...op.i32Add, ...op.set(c)],
      ...[...op.br(0), ...op.end, ...op.end],
      // scr += acc_t − acc_t; store64_lane(o + 8t, demote(acc_t / div))
      ...lanes.flatMap((t) => [
        ...[...op.get(acc0 + t), ...op.tee(sv), ...op.get(sv), ...V.f64x2Sub, ...op.get(scr), ...V.f64x2Add],
        ...[...op.set(scr), ...op.get(o), ...op.get(sv), ...op.get(div), ...V.f64x2Div],
        ...[...V.f32x4DemoteZero, ...V.store64Lane(8 * t)],
      ]),
      ...[...op.get(o), ...op.i32Const(4 * STEP), ...op.i32Add, ...op.set(o)],
      ...[...op.get(p), ...op.i32Const(4 * STEP), ...op.i32Add, ...op.set(p)],
      ...[...op.br(0), ...op.end, ...op.end],
      ...[...op.get(screen), ...op.get(scr), ...op.v128Store()],
    ],
  };
}

// The slice of the WebAssembly JS API used here; the project's TypeScript libraries do not declare it.
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (
    module: object,
    imports: Record<string, Record<string, unknown>>,
  ) => { exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number }) => {
    readonly buffer: ArrayBuffer;
    grow(pages: number): number;
  };
}

interface SumKernel {
  /** Makes the memory at least `bytes` long and returns it; growing replaces the buffer, so views come after. */
  reserve(bytes: number): ArrayBuffer;
  meanColumns(
    src: number,
    rows: number,
    rowBytes: number,
    colBytes: number,
    coef: number,
    out: number,
    divisor: number,
    screen: number,
  ): void;
}

const PAGE = 65536;
const littleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
let kernelState: SumKernel | undefined | null = null;
let forceJs = false;

function sumKernel(): SumKernel | undefined {
  if (forceJs) return undefined;
  if (kernelState === null) kernelState = createSumKernel();
  return kernelState;
}

function createSumKernel(): SumKernel | undefined {
  const api = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
  // Typed-array views use the host's byte order and WebAssembly little-endian; validate() is false without SIMD.
  if (!api || !littleEndian) return undefined;
  const bytes = assembleModule([meanColumnsFunction()]);
  if (!api.validate(bytes)) return undefined;
  const memory = new api.Memory({ initial: 1 });
  const { exports } = new api.Instance(new api.Module(bytes), { env: { memory } });
  const meanColumns = exports.meanColumns;
  if (typeof meanColumns !== 'function') return undefined;
  return {
    reserve(size) {
      const have = memory.buffer.byteLength;
      if (size > have) memory.grow(Math.ceil((size - have) / PAGE));
      return memory.buffer;
    },
    meanColumns: meanColumns as SumKernel['meanColumns'],
  };
}

/** Runs `fn` with fedAvg on its plain JavaScript path, so tests can compare both; not for production use. */
export function withJsFedAvg<R>(fn: () => R): R {
  const before = forceJs;
  forceJs = true;
  try {
    return fn();
  } finally {
    forceJs = before;
  }
}

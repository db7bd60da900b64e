// The hot loops of the robust rules as WebAssembly SIMD kernels (fixed-width SIMD, WebAssembly Core 2.0), with plain JavaScript twins of the same semantics where SIMD is unavailable.
import { assembleModule, op, T, type WasmFunction } from './wasm-assembler.js';

/**
 * A scratch memory and three kernels that read and write it by byte address. The WebAssembly machine runs them
 * with SIMD, which is what keeps coordinate-wise medians and Krum's N² distances within their time budgets; the
 * JavaScript machine is the fallback and the reference the tests compare it with. Both give identical sorted
 * columns; squared distances agree to about 1e-6 relative (the SIMD kernel sums in float32 within a block).
 */
export interface KernelMachine {
  readonly kind: 'wasm-simd' | 'js';
  /**
   * Makes the scratch memory at least `bytes` long and returns it. Growing replaces the buffer, so views are made
   * after the last reserve; contents are not kept across a call that grows it.
   */
  reserve(bytes: number): ArrayBuffer;
  /**
   * Turns `rows` rows of `cols` float32 values at `src` into float64 sort keys at `dst`: the value, exactly, with
   * its row number in the low bits of the mantissa. A float32 widened to float64 has 29 zero mantissa bits at the
   * bottom, so a row number below 2^28 moves the key by less than half a float32 step: keys order as the values
   * do (ties by row), Math.fround(key) gives the value back, and sorting keys carries each value's row with it.
   */
  packKeys(src: number, dst: number, rows: number, cols: number): void;
  /**
   * Applies a comparator network to columns: `count` comparators at `cmp`, each two int32 byte addresses of rows
   * of float64 keys; every comparator puts the smaller key of each column in its first row. `rowBytes` is a
   * multiple of 16.
   */
  sortColumns(cmp: number, count: number, rowBytes: number): void;
  /**
   * For `n` rows of `cols` float32 values at `src` (cols a multiple of 4), adds Σₖ(rowᵢ[k] − rowⱼ[k])² to the
   * float64 at out + 8(i·n + j) for every i < j.
   */
  addSquaredDistances(src: number, n: number, cols: number, out: number): void;
  /** Which 32-bit word of a float64 key (0 or 1) holds its low mantissa bits, where the row number sits. */
  readonly lowWord: 0 | 1;
}

/** Row numbers fit in the 28 low mantissa bits a key can spare (see packKeys). */
export const KEY_INDEX_MASK = 0x0fffffff;
export const MAX_KEY_ROWS = KEY_INDEX_MASK + 1;

const littleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

// ---------------------------------------------------------------------------------------------------------------
// WebAssembly kernels. Locals are numbered parameters first; the comments give each function in text format.

/** (func $packKeys (param $src $dst $rows $cols i32) (local $r $s $d $end i32) (local $ri i64)) */
function packKeysFunction(): WasmFunction {
  const [src, dst, rows, cols, r, s, d, end, ri] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  return {
    name: 'packKeys',
    params: [T.i32, T.i32, T.i32, T.i32],
    locals: [
      [4, T.i32],
      [1, T.i64],
    ],
    body: [
      ...[...op.get(src), ...op.set(s), ...op.get(dst), ...op.set(d), ...op.i32Const(0), ...op.set(r)],
      ...[...op.block, ...op.loop],
      ...[...op.get(r), ...op.get(rows), ...op.i32GeU, ...op.brIf(1)],
      ...[...op.get(r), ...op.i64ExtendI32U, ...op.set(ri)],
      ...[...op.get(s), ...op.get(cols), ...op.i32Const(2), ...op.i32Shl, ...op.i32Add, ...op.set(end)],
      ...[...op.block, ...op.loop],
      ...[...op.get(s), ...op.get(end), ...op.i32GeU, ...op.brIf(1)],
      // store_i64(d, reinterpret(promote(load_f32(s))) | r)
      ...[...op.get(d), ...op.get(s), ...op.f32Load(), ...op.f64PromoteF32, ...op.i64ReinterpretF64],
      ...[...op.get(ri), ...op.i64Or, ...op.i64Store()],
      ...[...op.get(s), ...op.i32Const(4), ...op.i32Add, ...op.set(s)],
      ...[...op.get(d), ...op.i32Const(8), ...op.i32Add, ...op.set(d)],
      ...[...op.br(0), ...op.end, ...op.end],
      ...[...op.get(r), ...op.i32Const(1), ...op.i32Add, ...op.set(r)],
      ...[...op.br(0), ...op.end, ...op.end],
    ],
  };
}

/** (func $sortColumns (param $cmp $count $rowBytes i32) (local $c $a $b $off i32) (local $x $y v128)) */
function sortColumnsFunction(): WasmFunction {
  const [cmp, count, rowBytes, c, a, b, off, x, y] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const at = (base: number) => [...op.get(base), ...op.get(off), ...op.i32Add];
  return {
    name: 'sortColumns',
    params: [T.i32, T.i32, T.i32],
    locals: [
      [4, T.i32],
      [2, T.v128],
    ],
    body: [
      ...[...op.i32Const(0), ...op.set(c)],
      ...[...op.block, ...op.loop],
      ...[...op.get(c), ...op.get(count), ...op.i32GeU, ...op.brIf(1)],
      // a = load_i32(cmp + 8c); b = load_i32(cmp + 8c + 4)
      ...[...op.get(cmp), ...op.get(c), ...op.i32Const(3), ...op.i32Shl, ...op.i32Add, ...op.tee(b)],
      ...[...op.i32Load(), ...op.set(a), ...op.get(b), ...op.i32Load(4), ...op.set(b)],
      ...[...op.i32Const(0), ...op.set(off)],
      ...[...op.block, ...op.loop],
      ...[...op.get(off), ...op.get(rowBytes), ...op.i32GeU, ...op.brIf(1)],
      ...[...at(a), ...op.v128Load(), ...op.set(x), ...at(b), ...op.v128Load(), ...op.set(y)],
      ...[...at(a), ...op.get(x), ...op.get(y), ...op.f64x2Pmin, ...op.v128Store()],
      ...[...at(b), ...op.get(x), ...op.get(y), ...op.f64x2Pmax, ...op.v128Store()],
      ...[...op.get(off), ...op.i32Const(16), ...op.i32Add, ...op.set(off)],
      ...[...op.br(0), ...op.end, ...op.end],
      ...[...op.get(c), ...op.i32Const(1), ...op.i32Add, ...op.set(c)],
      ...[...op.br(0), ...op.end, ...op.end],
    ],
  };
}

/**
 * (func $addSquaredDistances (param $src $n $cols $out i32)
 *   (local $i $j $p $a $b0 $b1 $b2 $b3 $row $addr i32) (local $acc0 $acc1 $acc2 $acc3 $va $d v128))
 * Row i is compared with four rows j at a time, so each load of row i serves four accumulators.
 */
function addSquaredDistancesFunction(): WasmFunction {
  const [src, n, cols, out, i, j, p, a, b0, , , , row, addr, acc0, , , , va, d] = Array.from(
    { length: 20 },
    (_, k) => k,
  );
  const innerLoop = (tiles: number) => [
    ...Array.from({ length: tiles }, (_, t) => [...op.v128Zero, ...op.set(acc0 + t)]).flat(),
    ...[...op.i32Const(0), ...op.set(p)],
    ...[...op.block, ...op.loop],
    ...[...op.get(p), ...op.get(row), ...op.i32GeU, ...op.brIf(1)],
    ...[...op.get(a), ...op.get(p), ...op.i32Add, ...op.v128Load(), ...op.set(va)],
    ...Array.from({ length: tiles }, (_, t) => [
      // d = va − load(b_t + p); acc_t += d·d
      ...[...op.get(va), ...op.get(b0 + t), ...op.get(p), ...op.i32Add, ...op.v128Load(), ...op.f32x4Sub],
      ...[
        ...op.tee(d),
        ...op.get(d),
        ...op.f32x4Mul,
        ...op.get(acc0 + t),
        ...op.f32x4Add,
        ...op.set(acc0 + t),
      ],
    ]).flat(),
    ...[...op.get(p), ...op.i32Const(16), ...op.i32Add, ...op.set(p)],
    ...[...op.br(0), ...op.end, ...op.end],
  ];
  // out[i·n + j + t] += (lane0 + lane1) + (lane2 + lane3), each lane widened to float64
  const flush = (t: number) => [
    ...[...op.get(out), ...op.get(i), ...op.get(n), ...op.i32Mul, ...op.get(j), ...op.i32Add],
    ...[...op.i32Const(t), ...op.i32Add, ...op.i32Const(3), ...op.i32Shl, ...op.i32Add, ...op.tee(addr)],
    ...[...op.get(addr), ...op.f64Load()],
    ...[0, 1, 2, 3].flatMap((lane) => [
      ...op.get(acc0 + t),
      ...op.f32x4ExtractLane(lane),
      ...op.f64PromoteF32,
      ...op.f64Add,
    ]),
    ...op.f64Store(),
  ];
  const rowAddress = (index: number, into: number) => [
    ...[...op.get(src), ...op.get(index), ...op.get(row), ...op.i32Mul, ...op.i32Add, ...op.set(into)],
  ];
  return {
    name: 'addSquaredDistances',
    params: [T.i32, T.i32, T.i32, T.i32],
    locals: [
      [10, T.i32],
      [6, T.v128],
    ],
    body: [
      ...[...op.get(cols), ...op.i32Const(2), ...op.i32Shl, ...op.set(row)],
      ...[...op.i32Const(0), ...op.set(i)],
      ...[...op.block, ...op.loop],
      ...[...op.get(i), ...op.get(n), ...op.i32GeU, ...op.brIf(1)],
      ...rowAddress(i, a),
      ...[...op.get(i), ...op.i32Const(1), ...op.i32Add, ...op.set(j)],
      // four rows j at a time while j + 3 < n
      ...[...op.block, ...op.loop],
      ...[...op.get(j), ...op.i32Const(3), ...op.i32Add, ...op.get(n), ...op.i32GeU, ...op.brIf(1)],
      ...rowAddress(j, b0),
      ...[1, 2, 3].flatMap((t) => [...op.get(b0 + t - 1), ...op.get(row), ...op.i32Add, ...op.set(b0 + t)]),
      ...innerLoop(4),
      ...[0, 1, 2, 3].flatMap(flush),
      ...[...op.get(j), ...op.i32Const(4), ...op.i32Add, ...op.set(j)],
      ...[...op.br(0), ...op.end, ...op.end],
      // the remaining rows j one at a time
      ...[...op.block, ...op.loop],
      ...[...op.get(j), ...op.get(n), ...op.i32GeU, ...op.brIf(1)],
      ...rowAddress(j, b0),
      ...innerLoop(1),
      ...flush(0),
      ...[...op.get(j), ...op.i32Const(1), ...op.i32Add, ...op.set(j)],
      ...[...op.br(0), ...op.end, ...op.end],
      ...[...op.get(i), ...op.i32Const(1), ...op.i32Add, ...op.set(i)],
      ...[...op.br(0), ...op.end, ...op.end],
    ],
  };
}

// The slice of the WebAssembly JS API used here; the project's TypeScript libraries do not declare it.
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (
    module: object,
    imports: Record<string, Record<string, unknown>>,
  ) => { exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number }) => WasmMemory;
}

type Kernel = (...args: number[]) => void;

function exported(exports: Record<string, unknown>, name: string): Kernel {
  const f = exports[name];
  if (typeof f !== 'function') throw new Error(`kernel module lacks ${name}`);
  return f as Kernel;
}

const PAGE = 65536;

function createWasmMachine(): KernelMachine | undefined {
  const api = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
  // Views of WebAssembly memory use the host's byte order while the kernels use little-endian, so a big-endian
  // host takes the JavaScript path.
  if (!api || !littleEndian) return undefined;
  const bytes = assembleModule([packKeysFunction(), sortColumnsFunction(), addSquaredDistancesFunction()]);
  // validate() is false on engines without SIMD; they get the JavaScript kernels.
  if (!api.validate(bytes)) return undefined;
  const memory = new api.Memory({ initial: 1 });
  const { exports } = new api.Instance(new api.Module(bytes), { env: { memory } });
  const packKeys = exported(exports, 'packKeys');
  const sortColumns = exported(exports, 'sortColumns');
  const addSquaredDistances = exported(exports, 'addSquaredDistances');
  return {
    kind: 'wasm-simd',
    lowWord: 0,
    reserve(size) {
      const have = memory.buffer.byteLength;
      if (size > have) memory.grow(Math.ceil((size - have) / PAGE));
      return memory.buffer;
    },
    packKeys: (src, dst, rows, cols) => packKeys(src, dst, rows, cols),
    sortColumns: (cmp, count, rowBytes) => sortColumns(cmp, count, rowBytes),
    addSquaredDistances: (src, n, cols, out) => addSquaredDistances(src, n, cols, out),
  };
}

function createJsMachine(): KernelMachine {
  let buffer = new ArrayBuffer(PAGE);
  const lowWord = littleEndian ? 0 : 1;
  return {
    kind: 'js',
    lowWord,
    reserve(size) {
      if (size > buffer.byteLength) buffer = new ArrayBuffer(Math.ceil(size / PAGE) * PAGE);
      return buffer;
    },
    packKeys(src, dst, rows, cols) {
      const f32 = new Float32Array(buffer);
      const f64 = new Float64Array(buffer);
      const u32 = new Uint32Array(buffer);
      for (let r = 0; r < rows; r++) {
        for (let c = 0; c < cols; c++) {
          const at = dst / 8 + r * cols + c;
          f64[at] = f32[src / 4 + r * cols + c];
          u32[2 * at + lowWord] |= r;
        }
      }
    },
    sortColumns(cmp, count, rowBytes) {
      const f64 = new Float64Array(buffer);
      const i32 = new Int32Array(buffer);
      const cols = rowBytes / 8;
      for (let c = 0; c < count; c++) {
        const a = i32[cmp / 4 + 2 * c] / 8;
        const b = i32[cmp / 4 + 2 * c + 1] / 8;
        for (let k = 0; k < cols; k++) {
          const x = f64[a + k];
          const y = f64[b + k];
          if (y < x) {
            f64[a + k] = y;
            f64[b + k] = x;
          }
        }
      }
    },
    addSquaredDistances(src, n, cols, out) {
      const f32 = new Float32Array(buffer);
      const f64 = new Float64Array(buffer);
      for (let i = 0; i < n; i++) {
        const a = src / 4 + i * cols;
        for (let j = i + 1; j < n; j++) {
          const b = src / 4 + j * cols;
          let s = 0;
          for (let k = 0; k < cols; k++) {
            const d = f32[a + k] - f32[b + k];
            s += d * d;
          }
          f64[out / 8 + i * n + j] += s;
        }
      }
    },
  };
}

let wasmMachine: KernelMachine | undefined | null = null;
let jsMachine: KernelMachine | undefined;
let forced: 'js' | undefined;

/**
 * The machine the rules use: WebAssembly SIMD when the engine has it, JavaScript otherwise. One instance per
 * process is enough because aggregation is synchronous: no two rules run at the same time on one thread.
 */
export function kernelMachine(): KernelMachine {
  if (forced === undefined) {
    if (wasmMachine === null) wasmMachine = createWasmMachine();
    if (wasmMachine) return wasmMachine;
  }
  jsMachine ??= createJsMachine();
  return jsMachine;
}

/** Runs `fn` with the JavaScript kernels, so tests can compare both paths; not for production use. */
export function withJsKernels<R>(fn: () => R): R {
  const before = forced;
  forced = 'js';
  try {
    return fn();
  } finally {
    forced = before;
  }
}

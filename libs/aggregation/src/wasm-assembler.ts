// A minimal encoder for the WebAssembly binary format (WebAssembly Core Specification 2.0, chapter 5, which includes the fixed-width SIMD instructions), enough for the kernels in kernels.ts.

/** Value types (§5.3.1). */
export const T = { i32: 0x7f, i64: 0x7e, f32: 0x7d, f64: 0x7c, v128: 0x7b } as const;

/** Unsigned LEB128 (§5.2.2). */
export function uleb(value: number): number[] {
  const out: number[] = [];
  let v = value >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

/** Signed LEB128 (§5.2.2), for i32.const. */
export function sleb(value: number): number[] {
  const out: number[] = [];
  let v = value | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

const simd = (code: number): number[] => [0xfd, ...uleb(code)];
// memarg: alignment exponent, then offset (§5.4.6).
const mem =
  (prefix: number[], align: number) =>
  (offset = 0) => [...prefix, align, ...uleb(offset)];

/** The instructions the kernels use (§5.4), each as the bytes it encodes to. */
export const op = {
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  end: [0x0b],
  br: (depth: number) => [0x0c, ...uleb(depth)],
  brIf: (depth: number) => [0x0d, ...uleb(depth)],
  get: (local: number) => [0x20, ...uleb(local)],
  set: (local: number) => [0x21, ...uleb(local)],
  tee: (local: number) => [0x22, ...uleb(local)],
  i32Load: mem([0x28], 2),
  f32Load: mem([0x2a], 2),
  f64Load: mem([0x2b], 3),
  i64Store: mem([0x37], 3),
  f64Store: mem([0x39], 3),
  i32Const: (v: number) => [0x41, ...sleb(v)],
  i32GeU: [0x4f],
  i32Add: [0x6a],
  i32Mul: [0x6c],
  i32Shl: [0x74],
  i64Or: [0x84],
  f64Add: [0xa0],
  i64ExtendI32U: [0xad],
  f64PromoteF32: [0xbb],
  i64ReinterpretF64: [0xbd],
  v128Load: mem(simd(0x00), 4),
  v128Store: mem(simd(0x0b), 4),
  v128Zero: [...simd(0x0c), ...new Array<number>(16).fill(0)],
  f32x4ExtractLane: (lane: number) => [...simd(0x1f), lane],
  f32x4Add: simd(0xe4),
  f32x4Sub: simd(0xe5),
  f32x4Mul: simd(0xe6),
  /** pmin(a, b) = b < a ? b : a, lane-wise: one minpd, no NaN or signed-zero handling. */
  f64x2Pmin: simd(0xf6),
  f64x2Pmax: simd(0xf7),
};

/** A function: parameter types (it returns nothing), extra locals as [count, type] runs, and its body without the final end. */
export interface WasmFunction {
  name: string;
  params: readonly number[];
  locals: readonly (readonly [number, number])[];
  body: readonly number[];
}

const vec = (items: readonly (readonly number[])[]): number[] => [...uleb(items.length), ...items.flat()];
const name = (s: string): number[] => vec([...new TextEncoder().encode(s)].map((b) => [b]));
const section = (id: number, content: readonly number[]): number[] => [
  id,
  ...uleb(content.length),
  ...content,
];

/**
 * A module that imports its memory as env.memory and exports each function under its name (§5.5). Every function
 * gets its own type entry; there are few enough that sharing them is not worth the bookkeeping.
 */
export function assembleModule(functions: readonly WasmFunction[]): Uint8Array {
  const types = functions.map((f) => [0x60, ...vec(f.params.map((p) => [p])), ...vec([])]);
  const memoryImport = [...name('env'), ...name('memory'), 0x02, 0x00, ...uleb(1)];
  const code = functions.map((f) => {
    const body = [...vec(f.locals.map(([count, type]) => [...uleb(count), type])), ...f.body, ...op.end];
    return [...uleb(body.length), ...body];
  });
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec(types)),
    ...section(2, vec([memoryImport])),
    ...section(3, vec(functions.map((_, i) => uleb(i)))),
    ...section(7, vec(functions.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]))),
    ...section(10, vec(code)),
  ]);
}

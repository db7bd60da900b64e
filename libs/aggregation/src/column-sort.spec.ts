import { forEachSortedBlock, SORTED_INDEX_MASK, sortingNetwork } from './column-sort.js';
import { kernelMachine, withJsKernels } from './kernels.js';

function applyNetwork(network: Int32Array, values: number[]): number[] {
  const v = [...values];
  for (let c = 0; c < network.length; c += 2) {
    const a = network[c];
    const b = network[c + 1];
    if (v[b] < v[a]) [v[a], v[b]] = [v[b], v[a]];
  }
  return v;
}

const isSorted = (v: readonly number[]) => v.every((x, i) => i === 0 || v[i - 1] <= x);

/** Sorted (value, row) pairs of every coordinate, read back from the blocks. */
function sortedColumns(deltas: Float32Array[]): { values: number[]; rows: number[] }[] {
  const columns: { values: number[]; rows: number[] }[] = [];
  forEachSortedBlock(deltas, ({ start, count, stride, keys, words, lowWord }) => {
    for (let c = 0; c < count; c++) {
      const values: number[] = [];
      const rows: number[] = [];
      for (let r = 0; r < deltas.length; r++) {
        values.push(Math.fround(keys[r * stride + c]));
        rows.push(words[2 * (r * stride + c) + lowWord] & SORTED_INDEX_MASK);
      }
      columns[start + c] = { values, rows };
    }
  });
  return columns;
}

describe('sortingNetwork', () => {
  it('sorts every 0–1 input for n up to 12, hence every input (Knuth’s 0–1 principle)', () => {
    for (let n = 1; n <= 12; n++) {
      const network = sortingNetwork(n);
      for (let bits = 0; bits < 1 << n; bits++) {
        const input = Array.from({ length: n }, (_, i) => (bits >> i) & 1);
        if (!isSorted(applyNetwork(network, input)))
          throw new Error(`n = ${n} leaves ${input.join('')} unsorted`);
      }
    }
  });

  it('sorts random inputs for sizes up to 300', () => {
    let seed = 3;
    const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    for (const n of [13, 31, 64, 65, 100, 127, 200, 300]) {
      const network = sortingNetwork(n);
      for (let t = 0; t < 20; t++)
        expect(isSorted(applyNetwork(network, Array.from({ length: n }, random)))).toBe(true);
    }
  });

  it('is Batcher’s size: 19 comparators for 8 wires, 63 for 16', () => {
    expect(sortingNetwork(8).length / 2).toBe(19);
    expect(sortingNetwork(16).length / 2).toBe(63);
  });
});

describe('forEachSortedBlock', () => {
  const awkward = [0, -0, 1e-45, -1e-45, 3.4028234663852886e38, -3.4028234663852886e38, 1, -1, 0.1, 1, 1];

  it.each([
    ['the default machine', <T>(fn: () => T) => fn()],
    ['the JavaScript kernels', withJsKernels],
  ])('with %s, sorts each coordinate exactly and carries each value’s update index', (_, run) => {
    let seed = 11;
    const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    for (const [n, length] of [
      [1, 3],
      [2, 5],
      [11, 1],
      [11, 37],
      [100, 40],
    ]) {
      const deltas = Array.from({ length: n }, (_, i) =>
        Float32Array.from({ length }, (_, k) =>
          k === 0 ? awkward[i % awkward.length] : (random() - 0.5) * 10 ** (k % 7),
        ),
      );
      const columns = run(() => sortedColumns(deltas));
      expect(columns.length).toBe(length);
      for (let k = 0; k < length; k++) {
        // −0 sorts before +0 (its key is a tiny negative number); both orders are sorted, this one is exact.
        const expected = deltas.map((d) => d[k]).sort((a, b) => a - b || 1 / a - 1 / b);
        const { values, rows } = columns[k];
        expect(values).toEqual(expected);
        // Each row index is a real update holding that value, and each update appears once.
        expect([...rows].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
        rows.forEach((row, r) => expect(Object.is(deltas[row][k], values[r])).toBe(true));
      }
    }
  });

  it('runs on WebAssembly SIMD in this Node', () => {
    expect(kernelMachine().kind).toBe('wasm-simd');
  });
});

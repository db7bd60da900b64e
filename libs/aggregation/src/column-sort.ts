// Sorts every coordinate's N values across the updates with a comparator network (Batcher's odd–even merge sort, Knuth TAOCP vol. 3 §5.3.4), block by block, for the coordinate-wise rules.
import { AggregationError } from './errors.js';
import { KEY_INDEX_MASK, kernelMachine, MAX_KEY_ROWS } from './kernels.js';

const networks = new Map<number, Int32Array>();

/**
 * Batcher's odd–even merge sort for n wires, as pairs [a₀, b₀, a₁, b₁, …] with aᵢ < bᵢ. The network for the next
 * power of two is built and comparators reaching past wire n − 1 are dropped: treat the missing wires as +∞ and
 * every such comparator leaves them where they are, so what remains sorts n wires. A network, not a quickselect,
 * because the same comparisons run for every coordinate: that is branch-free and runs two coordinates per SIMD
 * instruction, where a per-coordinate selection spends its time on mispredicted branches.
 */
export function sortingNetwork(n: number): Int32Array {
  const cached = networks.get(n);
  if (cached) return cached;
  let size = 1;
  while (size < n) size *= 2;
  const pairs: number[] = [];
  for (let p = 1; p < size; p *= 2) {
    for (let k = p; k >= 1; k = Math.floor(k / 2)) {
      for (let j = k % p; j <= size - 1 - k; j += 2 * k) {
        for (let i = 0; i <= Math.min(k - 1, size - j - k - 1); i++) {
          const a = i + j;
          const b = i + j + k;
          if (Math.floor(a / (2 * p)) === Math.floor(b / (2 * p)) && b < n) pairs.push(a, b);
        }
      }
    }
  }
  const network = Int32Array.from(pairs);
  networks.set(n, network);
  return network;
}

/**
 * One block of coordinates [start, start + count), each column sorted: keys[r·stride + c] is the r-th smallest
 * value of coordinate start + c, as a float64 key (Math.fround(key) is the value, exactly), and
 * words[2(r·stride + c) + lowWord] & KEY_INDEX_MASK is the update it came from. Views into scratch memory, valid
 * only during the visit.
 */
export interface SortedBlock {
  start: number;
  count: number;
  readonly stride: number;
  readonly keys: Float64Array;
  readonly words: Uint32Array;
  readonly lowWord: number;
}

export const SORTED_INDEX_MASK = KEY_INDEX_MASK;

// About 64 KiB of keys per block: the network makes log² N passes over it, so it should stay in cache.
function blockColumns(rows: number, length: number): number {
  const target = Math.max(4, Math.min(1024, Math.floor(8192 / rows / 4) * 4));
  return Math.min(target, Math.ceil(length / 4) * 4);
}

/**
 * Calls `visit` for consecutive blocks of coordinates with each coordinate's values sorted. Memory is one block of
 * every update (O(N) per coordinate of the block), never a copy of all N×P values.
 */
export function forEachSortedBlock(
  deltas: readonly Float32Array[],
  visit: (block: SortedBlock) => void,
): void {
  const rows = deltas.length;
  if (rows >= MAX_KEY_ROWS) {
    throw new AggregationError('INVALID_PARAMETER', `at most ${MAX_KEY_ROWS - 1} updates; got ${rows}`);
  }
  const length = deltas[0].length;
  const machine = kernelMachine();
  const cols = blockColumns(rows, length);
  const network = sortingNetwork(rows);
  const keysAt = rows * cols * 4; // a multiple of 16, as the SIMD kernel's rows want
  const networkAt = keysAt + rows * cols * 8;
  const buffer = machine.reserve(networkAt + network.length * 4);
  const staging = new Float32Array(buffer, 0, rows * cols);
  const keys = new Float64Array(buffer, keysAt, rows * cols);
  const words = new Uint32Array(buffer, keysAt, rows * cols * 2);
  const comparators = new Int32Array(buffer, networkAt, network.length);
  for (let c = 0; c < network.length; c++) comparators[c] = keysAt + network[c] * cols * 8;
  const block: SortedBlock = { start: 0, count: 0, stride: cols, keys, words, lowWord: machine.lowWord };
  for (let start = 0; start < length; start += cols) {
    const count = Math.min(cols, length - start);
    for (let r = 0; r < rows; r++) {
      staging.set(deltas[r].subarray(start, start + count), r * cols);
      // The padding columns of the last block are sorted and ignored; zeros keep them finite.
      if (count < cols) staging.fill(0, r * cols + count, (r + 1) * cols);
    }
    machine.packKeys(0, keysAt, rows, cols);
    machine.sortColumns(networkAt, network.length / 2, cols * 8);
    block.start = start;
    block.count = count;
    visit(block);
  }
}

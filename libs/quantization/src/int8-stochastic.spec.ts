import { createRandom } from '@cohort/model';
import {
  decodeInt8Stochastic,
  encodeInt8Stochastic,
  INT8_BLOCK,
  int8EncodedLength,
} from './int8-stochastic.js';

describe('8-bit stochastic quantization', () => {
  it('costs one byte per value and a float32 per block of 256', () => {
    expect(int8EncodedLength(0)).toBe(0);
    expect(int8EncodedLength(1)).toBe(5);
    expect(int8EncodedLength(256)).toBe(260);
    expect(int8EncodedLength(257)).toBe(265);
    expect(int8EncodedLength(1_000_000)).toBe(1_000_000 + 4 * 3907);
    expect(int8EncodedLength(1_000_000)).toBeLessThanOrEqual(1.02 * 1_000_000);
  });

  it('lays out scales then codes, and is exact on the grid', () => {
    // scale 127 makes the grid the integers: every value is on it, so nothing is random.
    const values = new Float32Array([127, -127, 3, 0, -5]);
    const bytes = encodeInt8Stochastic(values, () => 0.5);
    expect(new DataView(bytes.buffer).getFloat32(0, true)).toBe(127);
    expect([...new Int8Array(bytes.buffer, 4)]).toEqual([127, -127, 3, 0, -5]);
    expect([...decodeInt8Stochastic(bytes, 5)]).toEqual([127, -127, 3, 0, -5]);
  });

  it('keeps every value within scale/127 and on one of its two neighbouring levels', () => {
    const random = createRandom(3);
    const n = 3 * INT8_BLOCK + 17;
    const values = new Float32Array(n).map(() => (random() - 0.5) * 10 ** Math.floor(random() * 6 - 3));
    const decoded = decodeInt8Stochastic(encodeInt8Stochastic(values, createRandom(4)), n);
    for (let b = 0; b * INT8_BLOCK < n; b++) {
      const block = values.subarray(b * INT8_BLOCK, (b + 1) * INT8_BLOCK);
      const scale = Math.max(...block.map(Math.abs));
      for (let i = 0; i < block.length; i++) {
        const err = Math.abs(decoded[b * INT8_BLOCK + i] - block[i]);
        expect(err).toBeLessThanOrEqual((scale / 127) * (1 + 1e-6));
      }
    }
  });

  it('is unbiased: the mean of many decodings converges on the value', () => {
    // One block: the scale (1) is fixed by its first value; the others fall between levels at known fractions.
    const values = new Float32Array([1, 0.3 / 127, -0.5 / 127, 10.7 / 127, -63.25 / 127, 0]);
    const trials = 20_000;
    const sums = new Float64Array(values.length);
    const random = createRandom(11);
    for (let t = 0; t < trials; t++) {
      const d = decodeInt8Stochastic(encodeInt8Stochastic(values, random), values.length);
      for (let i = 0; i < d.length; i++) sums[i] += d[i];
    }
    for (let i = 0; i < values.length; i++) {
      // Each decoding is a level ± 1/127 apart, so its standard deviation is at most 0.5/127; the bound is
      // 8 standard errors (a miss has probability below 1e-14 for a seeded stream that never changes anyway).
      const bound = (8 * 0.5) / 127 / Math.sqrt(trials);
      expect(Math.abs(sums[i] / trials - values[i])).toBeLessThan(bound);
    }
  });

  it('turns a non-finite value into a NaN block and refuses malformed payloads', () => {
    const d = decodeInt8Stochastic(
      encodeInt8Stochastic(new Float32Array([1, Infinity, 2]), () => 0),
      3,
    );
    expect([...d].every(Number.isNaN)).toBe(true);
    expect(() => decodeInt8Stochastic(new Uint8Array(8), 3)).toThrow(
      /int8 payload of 3 values has 7 bytes, got 8/,
    );
    const bad = new Uint8Array(7);
    bad[5] = 0x80;
    expect(() => decodeInt8Stochastic(bad, 3)).toThrow(/-128 at value 1/);
  });
});

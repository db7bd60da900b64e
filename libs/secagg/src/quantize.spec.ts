import { createRandom } from '@cohort/model';
import { dequantize, quantizationScale, quantizeInto, reduce } from './quantize.js';

describe('modular quantization', () => {
  it('picks the largest scale whose n-silo sum stays below 2^(bits−1)', () => {
    const scale = quantizationScale({ bits: 32, silos: 10, clipRange: 1 });
    // n·(s·c + 1) ≤ 2^31 − 1, computed by hand: ((2^31 − 1)/10 − 1)/1 = 214748363.7
    expect(scale).toBeCloseTo(214_748_363.7, 5);
    expect(10 * (scale * 1 + 1)).toBeLessThanOrEqual(2 ** 31 - 1);
    const noisy = quantizationScale({ bits: 32, silos: 10, clipRange: 1, noiseBound: 1000 });
    expect(10 * (noisy + 1) + 1000).toBeLessThanOrEqual(2 ** 31 - 1 + 1e-6);
    expect(() => quantizationScale({ bits: 16, silos: 5000, clipRange: 1 })).toThrow(/cannot hold/);
    expect(() => quantizationScale({ bits: 40, silos: 2, clipRange: 1 })).toThrow(/bits/);
  });

  it('sums of the worst case never wrap, and read back as signed values', () => {
    const bits = 16;
    const silos = 8;
    const scale = quantizationScale({ bits, silos, clipRange: 2 });
    const random = createRandom(3);
    const sum = new Uint32Array(2);
    for (let s = 0; s < silos; s++) {
      const q = new Uint32Array(2);
      quantizeInto(q, 0, [5, -5], scale, 2, 1, random); // clipped to ±2
      reduce(q, bits);
      for (let i = 0; i < 2; i++) sum[i] = (sum[i] + q[i]) & 0xffff;
    }
    const back = dequantize(sum, scale, bits);
    expect(back[0]).toBeCloseTo(16, 1);
    expect(back[1]).toBeCloseTo(-16, 1);
  });

  it('rounds without bias', () => {
    const scale = 10;
    const random = createRandom(7);
    const q = new Uint32Array(100_000);
    quantizeInto(q, 0, new Float32Array(100_000).fill(0.123), scale, 1, 1, random);
    const mean = dequantize(q, scale, 32).reduce((a, b) => a + b, 0) / q.length;
    expect(Math.abs(mean - Math.fround(0.123))).toBeLessThan(0.002);
  });

  it('refuses non-finite values and weights outside [0, 1]', () => {
    const q = new Uint32Array(2);
    expect(() => quantizeInto(q, 0, [1, NaN], 10, 1, 1, Math.random)).toThrow(/value 1 is not finite/);
    expect(() => quantizeInto(q, 0, [1], 10, 1, 2, Math.random)).toThrow(/weight/);
  });
});

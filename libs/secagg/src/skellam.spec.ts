import { createRandom } from '@cohort/model';
import { addSkellamNoise, cryptoUniform, skellamBound } from './skellam.js';

describe('Skellam noise', () => {
  it('adds Sk(μ, μ): mean 0, variance 2μ, and n shares of μ/n sum to variance 2μ', () => {
    const n = 100_000;
    const one = new Uint32Array(n);
    addSkellamNoise(one, 50, 32, createRandom(1));
    const summed = new Uint32Array(n);
    const random = createRandom(2);
    for (let s = 0; s < 5; s++) addSkellamNoise(summed, 10, 32, random);
    for (const noise of [one, summed]) {
      const values = Array.from(noise, (v) => (v >= 2 ** 31 ? v - 2 ** 32 : v));
      const mean = values.reduce((a, b) => a + b, 0) / n;
      const variance = values.reduce((a, b) => a + b * b, 0) / n - mean * mean;
      expect(Math.abs(mean)).toBeLessThan(5 * Math.sqrt(100 / n));
      expect(Math.abs(variance - 100) / 100).toBeLessThan(0.03);
    }
  });

  it('bounds the tail by Chernoff: at least 9.5 standard deviations for a large μ, growing with μ', () => {
    expect(skellamBound(0)).toBe(0);
    const mu = 1e6;
    expect(skellamBound(mu)).toBeGreaterThan(9.5 * Math.sqrt(2 * mu));
    expect(skellamBound(mu)).toBeLessThan(10 * Math.sqrt(2 * mu));
    expect(skellamBound(4 * mu)).toBeGreaterThan(skellamBound(mu));
  });

  it('draws uniforms from the CSPRNG in [0, 1)', () => {
    const u = cryptoUniform(16);
    let sum = 0;
    for (let i = 0; i < 10_000; i++) {
      const v = u();
      expect(v >= 0 && v < 1).toBe(true);
      sum += v;
    }
    expect(Math.abs(sum / 10_000 - 0.5)).toBeLessThan(0.02);
  });
});

import { createRandom } from '@cohort/model';
import { logFactorial, samplePoisson } from './poisson.js';

describe('Poisson sampling', () => {
  it('logFactorial matches the direct sum of logarithms above the table', () => {
    for (const k of [255, 256, 300, 1000, 5000]) {
      let direct = 0;
      for (let i = 2; i <= k; i++) direct += Math.log(i);
      expect(logFactorial(k)).toBeCloseTo(direct, 8);
    }
  });

  it.each([0.5, 4, 10, 37.5, 5000])('draws Poisson(%p): mean and variance λ', (lambda) => {
    const random = createRandom(11);
    const n = 200_000;
    let sum = 0;
    let sq = 0;
    for (let i = 0; i < n; i++) {
      const k = samplePoisson(lambda, random);
      sum += k;
      sq += k * k;
    }
    const mean = sum / n;
    const variance = sq / n - mean * mean;
    // Five standard errors of each estimate.
    expect(Math.abs(mean - lambda)).toBeLessThan(5 * Math.sqrt(lambda / n));
    expect(Math.abs(variance - lambda)).toBeLessThan(5 * lambda * Math.sqrt((2 + 1 / lambda) / n));
  });

  it('matches the Poisson(4) probabilities (chi-square, p > 0.001)', () => {
    const random = createRandom(5);
    const n = 100_000;
    const counts = new Array<number>(13).fill(0);
    for (let i = 0; i < n; i++) counts[Math.min(12, samplePoisson(4, random))]++;
    let chi = 0;
    let tail = 1;
    for (let k = 0; k < 12; k++) {
      const p = Math.exp(-4 + k * Math.log(4) - logFactorial(k));
      tail -= p;
      chi += (counts[k] - n * p) ** 2 / (n * p);
    }
    chi += (counts[12] - n * tail) ** 2 / (n * tail);
    expect(chi).toBeLessThan(32.9); // χ²(12) at p = 0.001
  });
});

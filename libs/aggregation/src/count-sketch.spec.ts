import { createRandom } from '@cohort/model';
import { countSketch } from './count-sketch.js';

const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, v, i) => s + v * b[i], 0);

function gaussian(length: number, seed: number): Float32Array {
  const random = createRandom(seed);
  return Float32Array.from(
    { length },
    () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random()),
  );
}

describe('countSketch', () => {
  it('copies vectors no longer than the width (exact scores for small models)', () => {
    const x = Float32Array.from([1, -2, 3]);
    const s = countSketch(x, 4);
    expect(Array.from(s)).toEqual([1, -2, 3]);
    expect(s).not.toBe(x);
  });

  it('is linear: the sketch of a weighted mean is the weighted mean of the sketches', () => {
    const a = gaussian(10_000, 1);
    const b = gaussian(10_000, 2);
    const mean = a.map((v, i) => 0.25 * v + 0.75 * b[i]);
    const sa = countSketch(a, 256);
    const sb = countSketch(b, 256);
    const sm = countSketch(mean, 256);
    sm.forEach((v, i) => expect(v).toBeCloseTo(0.25 * sa[i] + 0.75 * sb[i], 4));
  });

  it('keeps norms and inner products within a few ‖x‖‖y‖/√width', () => {
    const width = 4096;
    const a = gaussian(200_000, 3);
    const noise = gaussian(200_000, 4);
    const b = a.map((v, i) => 0.6 * v + 0.8 * noise[i]);
    const [sa, sb] = [countSketch(a, width), countSketch(b, width)];
    const scale = Math.sqrt(dot(a, a) * dot(b, b));
    expect(Math.abs(dot(sa, sb) - dot(a, b)) / scale).toBeLessThan(4 / Math.sqrt(width));
    expect(Math.abs(dot(sa, sa) - dot(a, a)) / dot(a, a)).toBeLessThan(4 / Math.sqrt(width));
  });

  it('is the same sketch every time for the same length (a fixed seed)', () => {
    const a = gaussian(5000, 5);
    expect(Array.from(countSketch(a, 64))).toEqual(Array.from(countSketch(a, 64)));
  });
});

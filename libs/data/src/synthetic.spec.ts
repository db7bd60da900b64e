import { mlpShapeFor, syntheticRows } from './synthetic.js';

describe('syntheticRows', () => {
  it('is the same for the same seed and silo, shifted between silos, and has both classes', () => {
    const a = syntheticRows(500, 20, 1, 0);
    expect(syntheticRows(500, 20, 1, 0)).toEqual(a);
    const b = syntheticRows(500, 20, 1, 1);
    const meanOf = (r: typeof a, j: number): number => {
      let s = 0;
      for (let i = 0; i < r.rows; i++) s += r.x[i * r.features + j];
      return s / r.rows;
    };
    const shift = Array.from({ length: 20 }, (_, j) => Math.abs(meanOf(a, j) - meanOf(b, j)));
    expect(Math.max(...shift)).toBeGreaterThan(0.2);
    const positives = a.y.reduce((s, v) => s + v, 0);
    expect(positives).toBeGreaterThan(150);
    expect(positives).toBeLessThan(350);
  });

  it('labels follow a shared teacher: the least-squares direction of one silo predicts another silo', () => {
    // A crude learner (class-mean difference) trained on silo 0 must beat chance on silo 1.
    const train = syntheticRows(2000, 10, 3, 0);
    const test = syntheticRows(2000, 10, 3, 1);
    const d = 10;
    const centre = (r: typeof train, cls: number): number[] => {
      const m = new Array<number>(d).fill(0);
      let n = 0;
      for (let i = 0; i < r.rows; i++) {
        if (r.y[i] !== cls) continue;
        n++;
        for (let j = 0; j < d; j++) m[j] += r.x[i * d + j];
      }
      return m.map((v) => v / n);
    };
    const w = centre(train, 1).map((v, j) => v - centre(train, 0)[j]);
    const testMean = Array.from({ length: d }, (_, j) => {
      let s = 0;
      for (let i = 0; i < test.rows; i++) s += test.x[i * d + j];
      return s / test.rows;
    });
    let correct = 0;
    for (let i = 0; i < test.rows; i++) {
      let score = 0;
      for (let j = 0; j < d; j++) score += (test.x[i * d + j] - testMean[j]) * w[j];
      if ((score > 0 ? 1 : 0) === test.y[i]) correct++;
    }
    expect(correct / test.rows).toBeGreaterThan(0.75);
  });
});

describe('mlpShapeFor', () => {
  it.each([
    [1_000_000, 1000, 998],
    [100_000, 316, 314],
    [10_000, 100, 98],
  ])('about %p parameters: %p features, %p hidden units', (p, features, hiddenUnits) => {
    const shape = mlpShapeFor(p);
    expect(shape).toEqual({ features, hiddenUnits, parameters: (features + 2) * hiddenUnits + 1 });
    expect(Math.abs(shape.parameters - p) / p).toBeLessThan(0.01);
  });
});

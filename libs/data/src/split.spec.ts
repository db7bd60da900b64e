import { stratifiedSplit } from './split.js';

const labelsOf = (zeros: number, ones: number): number[] => [
  ...new Array<number>(zeros).fill(0),
  ...new Array<number>(ones).fill(1),
];

describe('stratifiedSplit', () => {
  it('returns the same split for the same seed and another for another seed', () => {
    const labels = labelsOf(60, 40);
    const a = stratifiedSplit(labels, 0.25, 7);
    expect(stratifiedSplit(labels, 0.25, 7)).toEqual(a);
    expect(stratifiedSplit(labels, 0.25, 8).test).not.toEqual(a.test);
  });

  it('partitions every index exactly once, each list ascending', () => {
    const labels = [1, 0, 0, 1, 0, 1, 1, 0, 0, 0, 1];
    const { train, test } = stratifiedSplit(labels, 0.3, 1);
    expect([...train, ...test].sort((a, b) => a - b)).toEqual(labels.map((_, i) => i));
    expect(train).toEqual([...train].sort((a, b) => a - b));
    expect(test).toEqual([...test].sort((a, b) => a - b));
  });

  it('splits each class in proportion', () => {
    // 100 negatives and 40 positives at 25%: 25 and 10 go to test.
    const labels = labelsOf(100, 40);
    const { train, test } = stratifiedSplit(labels, 0.25, 42);
    const positives = (idx: number[]): number => idx.filter((i) => labels[i] === 1).length;
    expect([test.length, positives(test)]).toEqual([35, 10]);
    expect([train.length, positives(train)]).toEqual([105, 30]);
  });

  it('keeps a class with a single row in train and never empties a class from train', () => {
    const labels = [0, 0, 0, 0, 1];
    const { train, test } = stratifiedSplit(labels, 0.5, 3);
    expect(train).toContain(4);
    expect(test).toHaveLength(2);
    const tiny = stratifiedSplit([0, 0], 0.9, 3);
    expect(tiny.train).toHaveLength(1);
    expect(tiny.test).toHaveLength(1);
  });

  it('refuses a fraction outside [0, 1)', () => {
    expect(() => stratifiedSplit([0, 1], 1, 0)).toThrow(RangeError);
  });
});

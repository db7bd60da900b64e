import { assertLabelledData, concatData } from './data.js';
import { TrainingError } from './errors.js';

describe('concatData', () => {
  it('stacks rows in order', () => {
    const a = { x: Float32Array.from([1, 2, 3, 4]), y: Float32Array.from([0, 1]), n: 2, d: 2 };
    const b = { x: Float32Array.from([5, 6]), y: Float32Array.from([1]), n: 1, d: 2 };
    expect(concatData([a, b])).toEqual({
      x: Float32Array.from([1, 2, 3, 4, 5, 6]),
      y: Float32Array.from([0, 1, 1]),
      n: 3,
      d: 2,
    });
  });

  it('refuses datasets of different widths', () => {
    const a = { x: new Float32Array(2), y: new Float32Array(1), n: 1, d: 2 };
    const b = { x: new Float32Array(3), y: new Float32Array(1), n: 1, d: 3 };
    expect(() => concatData([a, b])).toThrow('dataset 1 has 3 features, dataset 0 has 2');
    expect(() => concatData([])).toThrow(TrainingError);
  });
});

describe('assertLabelledData', () => {
  const ok = { x: new Float32Array(4), y: Float32Array.from([0, 1]), n: 2, d: 2 };

  it('accepts a well-formed matrix', () => {
    expect(() => assertLabelledData(ok, 2)).not.toThrow();
  });

  it.each([
    [{ ...ok, n: 0, x: new Float32Array(0), y: new Float32Array(0) }, /at least one example, got n = 0/],
    [{ ...ok, x: new Float32Array(5) }, /x has 5 values, expected n × d = 4/],
    [{ ...ok, y: Float32Array.from([0, 1, 1]) }, /y has 3 labels, expected n = 2/],
    [
      { ...ok, x: Float32Array.from([0, 0, Infinity, 0]) },
      /non-finite value \(Infinity\) in row 1, feature 0/,
    ],
  ])('refuses %#', (data, message) => {
    expect(() => assertLabelledData(data, 2)).toThrow(message);
  });
});

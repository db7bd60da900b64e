import { applyPreprocessing, completeRowIndices, fitPreprocessing, type FeatureColumn } from './preprocess.js';

const rows = (data: number[][]): Float64Array[] => data.map((r) => Float64Array.from(r));
const columns: FeatureColumn[] = [
  { name: 'a', type: 'number' },
  { name: 'b', type: 'integer' },
];
// Hand computation for the training rows below.
// a: observed 1, 3, 8 -> fill = mean = 4; imputed 1, 3, 4, 8 -> mean 4, variance (9 + 1 + 0 + 16) / 4 = 6.5.
// b: observed 2, 2, 5 -> fill = mode = 2; imputed 2, 2, 5, 2 -> mean 2.75, variance (3 * 0.5625 + 5.0625) / 4 = 1.6875.
const train = rows([
  [1, 2],
  [3, 2],
  [NaN, 5],
  [8, NaN],
]);
const SD_A = Math.sqrt(6.5);
const SD_B = Math.sqrt(1.6875);

describe('fitPreprocessing / applyPreprocessing', () => {
  it('imputes mean (number) and mode (integer) from the training rows and standardises', () => {
    const { preprocessing, warnings } = fitPreprocessing(train, columns);
    expect(warnings).toEqual([]);
    expect(preprocessing.fill).toEqual([4, 2]);
    expect(preprocessing.mean).toEqual([4, 2.75]);
    expect(preprocessing.std[0]).toBeCloseTo(SD_A, 12);
    expect(preprocessing.std[1]).toBeCloseTo(SD_B, 12);

    const { x, imputed } = applyPreprocessing(train, preprocessing);
    const expected = [
      [-3 / SD_A, -0.75 / SD_B],
      [-1 / SD_A, -0.75 / SD_B],
      [0, 2.25 / SD_B],
      [4 / SD_A, -0.75 / SD_B],
    ].flat();
    expect(x).toHaveLength(8);
    expected.forEach((v, i) => expect(x[i]).toBeCloseTo(v, 5));
    expect(imputed).toEqual([1, 1]);
  });

  it('uses training statistics only: test rows never move the fill values or the scaling', () => {
    const { preprocessing } = fitPreprocessing(train, columns);
    const test = rows([
      [NaN, NaN],
      [100, 9],
    ]);
    const { x, imputed } = applyPreprocessing(test, preprocessing);
    expect(x[0]).toBeCloseTo(0, 6); // filled with the training mean 4
    expect(x[1]).toBeCloseTo(-0.75 / SD_B, 5); // filled with the training mode 2
    expect(x[2]).toBeCloseTo(96 / SD_A, 4);
    expect(x[3]).toBeCloseTo(6.25 / SD_B, 5);
    expect(imputed).toEqual([1, 1]);
  });

  it('breaks a tie for the mode towards the smallest value', () => {
    const { preprocessing } = fitPreprocessing(rows([[3], [1], [3], [1], [NaN]]), [{ name: 'c', type: 'integer' }]);
    expect(preprocessing.fill).toEqual([1]);
  });

  it('makes a column with no training value constant 0, even where a test row has a value, and warns', () => {
    const { preprocessing, warnings } = fitPreprocessing(
      rows([
        [1, NaN],
        [3, NaN],
      ]),
      [
        { name: 'a', type: 'number' },
        { name: 'chol', type: 'number' },
      ],
    );
    expect(warnings).toEqual([
      'column "chol" has no observed value in the training rows; it is set to 0 for every row',
    ]);
    const { x, imputed } = applyPreprocessing(rows([[3, 250], [1, NaN]]), preprocessing);
    expect([...x]).toEqual([1, 0, -1, 0]);
    expect(imputed).toEqual([0, 1]);
  });

  it('divides by 1 when the training column is constant', () => {
    const { preprocessing } = fitPreprocessing(rows([[0.1], [0.1], [0.1]]), [{ name: 'k', type: 'number' }]);
    expect(preprocessing.std).toEqual([1]);
    const { x } = applyPreprocessing(rows([[0.1], [2.1]]), preprocessing);
    expect(x[0]).toBeCloseTo(0, 6);
    expect(x[1]).toBeCloseTo(2, 6);
  });
});

describe('completeRowIndices', () => {
  it('keeps only rows without a missing value', () => {
    expect(completeRowIndices(rows([[1, 2], [NaN, 2], [3, 4], [5, NaN]]))).toEqual([0, 2]);
  });
});

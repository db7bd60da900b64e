import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCsvDataset } from './dataset.js';
import { DataError } from './errors.js';
import { HEART_DISEASE_FEATURES, heartDiseaseDatasetConfig } from './heart-disease.js';
import { parseCsvDatasetConfig, type CsvDatasetConfig } from './schema.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const heartFile = (hospital: string): string => join(repoRoot, 'data/heart-disease', `processed.${hospital}.data`);

const tiny = (over: Record<string, unknown> = {}): CsvDatasetConfig =>
  parseCsvDatasetConfig({
    id: 'tiny',
    format: 'csv',
    file: 'tiny.csv',
    columns: [
      { name: 'a', type: 'number' },
      { name: 'b', type: 'integer' },
      { name: 'y', type: 'integer' },
    ],
    label: { column: 'y', rule: { kind: 'binary' } },
    ...over,
  });

const column = (x: Float32Array, d: number, j: number): number[] =>
  Array.from({ length: x.length / d }, (_, i) => x[i * d + j]);

describe('loadCsvDataset on the Switzerland hospital', () => {
  it('imputes, splits 92/31 by class, and zeroes chol (no observed value) with a warning', async () => {
    const ds = await loadCsvDataset(heartDiseaseDatasetConfig('switzerland'), [...HEART_DISEASE_FEATURES], {
      baseDir: repoRoot,
    });
    const { report } = ds;
    expect(report.files).toEqual([heartFile('switzerland')]);
    expect([report.rowsRead, report.rowsUsed, report.badRows, report.droppedMissing]).toEqual([123, 123, 0, 0]);
    // 115 positives and 8 negatives at 25%: 29 + 2 rows go to test.
    expect(report.train).toEqual({ n: 92, positives: 86 });
    expect(report.test).toEqual({ n: 31, positives: 29 });
    expect(report.warnings).toContain(
      'column "chol" has no observed value in the training rows; it is set to 0 for every row',
    );
    // Every chol is 0 (a missing marker) and trestbps has 2 "?" (SOURCE.md profile).
    expect(report.imputed.chol).toBe(123);
    expect(report.imputed.trestbps).toBe(2);
    expect(report.imputed.age).toBe(0);

    const d = HEART_DISEASE_FEATURES.length;
    expect(ds.features).toEqual(HEART_DISEASE_FEATURES);
    expect([ds.train.n, ds.train.d, ds.train.x.length]).toEqual([92, d, 92 * d]);
    expect([ds.test.n, ds.test.x.length, ds.test.y.length]).toEqual([31, 31 * d, 31]);
    const chol = HEART_DISEASE_FEATURES.indexOf('chol');
    expect(new Set([...column(ds.train.x, d, chol), ...column(ds.test.x, d, chol)])).toEqual(new Set([0]));
    // Standardised with training statistics: each training column has mean 0 and (if not constant) sd 1.
    const age = column(ds.train.x, d, HEART_DISEASE_FEATURES.indexOf('age'));
    const mean = age.reduce((s, v) => s + v, 0) / age.length;
    const sd = Math.sqrt(age.reduce((s, v) => s + (v - mean) ** 2, 0) / age.length);
    expect(mean).toBeCloseTo(0, 5);
    expect(sd).toBeCloseTo(1, 5);
    expect(ds.train.y.reduce((s, v) => s + v, 0)).toBe(86);
  });

  it('drops rows with a missing feature before splitting', async () => {
    const features = ['age', 'sex', 'cp', 'trestbps', 'thalach', 'exang', 'oldpeak'];
    const ds = await loadCsvDataset(heartDiseaseDatasetConfig('switzerland', { missingRule: 'drop' }), features, {
      baseDir: repoRoot,
    });
    // Counted with awk: 117 rows have none of these "?" (109 positive); 8 negatives stay 6/2, 109 positives 82/27.
    expect([ds.report.rowsUsed, ds.report.droppedMissing]).toEqual([117, 6]);
    expect(ds.report.train).toEqual({ n: 88, positives: 82 });
    expect(ds.report.test).toEqual({ n: 29, positives: 27 });
    expect(ds.report.imputed).toEqual({});
    expect(ds.train.x.every(Number.isFinite)).toBe(true);
  });

  it('has no usable row when dropping with chol, which Switzerland never records', async () => {
    const err = await loadCsvDataset(heartDiseaseDatasetConfig('switzerland', { missingRule: 'drop' }), ['age', 'chol'], {
      baseDir: repoRoot,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect((err as DataError).code).toBe('DATA_NO_USABLE_ROWS');
    expect((err as DataError).message).toBe(
      `no usable training rows in ${heartFile('switzerland')}: 123 rows read, 0 could not be parsed, ` +
        '123 dropped for missing values (missingRule "drop")',
    );
  });

  it('gives the same arrays on every load (seeded split)', async () => {
    const load = () =>
      loadCsvDataset(heartDiseaseDatasetConfig('switzerland'), ['age', 'oldpeak'], { baseDir: repoRoot });
    const [a, b] = [await load(), await load()];
    expect(b.train.x).toEqual(a.train.x);
    expect(b.test.y).toEqual(a.test.y);
  });
});

describe('loadCsvDataset on the other hospitals', () => {
  it.each([
    ['cleveland', 303],
    ['hungarian', 294],
    ['va', 200],
  ])('reads %s without a bad row', async (hospital, rows) => {
    const ds = await loadCsvDataset(
      heartDiseaseDatasetConfig(hospital as 'cleveland'),
      [...HEART_DISEASE_FEATURES],
      { baseDir: repoRoot },
    );
    expect([ds.report.rowsRead, ds.report.badRows, ds.train.n + ds.test.n]).toEqual([rows, 0, rows]);
    expect(ds.train.x.every(Number.isFinite) && ds.test.x.every(Number.isFinite)).toBe(true);
  });
});

describe('loadCsvDataset on small files', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cohort-data-dataset-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const goodRows = (n: number): string[] => Array.from({ length: n }, (_, i) => `${i},${i % 3},${i % 2}`);

  it('refuses a file with more bad rows than maxBadRowFraction, naming file, count and first bad line', async () => {
    const lines = goodRows(20);
    lines[2] = '1,2';
    lines[9] = '1,2,x';
    lines[14] = 'abc,1,0';
    await writeFile(join(dir, 'tiny.csv'), lines.join('\n'));
    const err = await loadCsvDataset(tiny(), ['a', 'b'], { baseDir: dir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect((err as DataError).code).toBe('DATA_TOO_MANY_BAD_ROWS');
    expect((err as DataError).message).toBe(
      `3 of 20 rows in ${join(dir, 'tiny.csv')} could not be parsed (first: line 3: expected 3 columns, found 2); ` +
        'the limit is 10% (maxBadRowFraction)',
    );
  });

  it('skips bad rows within the limit, reports them and warns without quoting the cell', async () => {
    const lines = goodRows(20);
    lines[4] = 'abc,1,0';
    await writeFile(join(dir, 'few-bad.csv'), lines.join('\n'));
    const ds = await loadCsvDataset(tiny({ file: 'few-bad.csv' }), ['a'], { baseDir: dir });
    const file = join(dir, 'few-bad.csv');
    expect([ds.report.rowsRead, ds.report.badRows, ds.report.rowsUsed]).toEqual([20, 1, 19]);
    expect(ds.report.badRowSamples).toEqual([{ file, line: 5, reason: 'column "a": "abc" is not a number' }]);
    expect(ds.report.warnings).toEqual([
      `1 of 20 rows in ${file} could not be parsed and were skipped (first: line 5; see badRowSamples)`,
    ]);
  });

  it('names a requested feature the schema lacks', async () => {
    await expect(loadCsvDataset(tiny(), ['a', 'thal'], { baseDir: dir })).rejects.toMatchObject({
      code: 'DATA_MISSING_FEATURE',
      message: 'dataset "tiny" has no column "thal" (columns: a, b, y)',
    });
  });

  it('refuses the label as a feature and a repeated feature', async () => {
    await expect(loadCsvDataset(tiny(), ['a', 'y'], { baseDir: dir })).rejects.toMatchObject({
      code: 'DATA_INVALID_FEATURES',
    });
    await expect(loadCsvDataset(tiny(), ['a', 'a'], { baseDir: dir })).rejects.toMatchObject({
      code: 'DATA_INVALID_FEATURES',
    });
  });

  it('reports a missing file as DATA_FILE_UNREADABLE with its absolute path', async () => {
    await expect(loadCsvDataset(tiny({ file: 'absent.csv' }), ['a'], { baseDir: dir })).rejects.toMatchObject({
      code: 'DATA_FILE_UNREADABLE',
      message: expect.stringContaining(join(dir, 'absent.csv')),
    });
  });

  it('uses a train/test pair as given and imputes and scales from the train file only', async () => {
    // Train a: 1, 3, ?, 8 -> fill 4, mean 4, sd sqrt(6.5). Test values must not change any statistic.
    await writeFile(join(dir, 'train.csv'), 'a,b,y\n1,1,0\n3,1,1\n?,2,0\n8,2,1\n');
    await writeFile(join(dir, 'test.csv'), 'y,a,b\r\n1,?,1\r\n0,100,7\r\n');
    const cfg = tiny({ file: undefined, trainFile: 'train.csv', testFile: 'test.csv', header: true });
    const ds = await loadCsvDataset(cfg, ['a'], { baseDir: dir });
    const sd = Math.sqrt(6.5);
    expect(Array.from(ds.train.x)).toEqual([-3 / sd, -1 / sd, 0, 4 / sd].map(Math.fround));
    expect(Array.from(ds.test.x)).toEqual([0, Math.fround(96 / sd)]);
    expect(Array.from(ds.test.y)).toEqual([1, 0]);
    expect(ds.report.files).toEqual([join(dir, 'train.csv'), join(dir, 'test.csv')]);
    expect(ds.report.imputed).toEqual({ a: 2 });
    expect(ds.report.test).toEqual({ n: 2, positives: 1 });
  });

  it('refuses an empty file', async () => {
    await writeFile(join(dir, 'empty.csv'), '\n\n');
    await expect(loadCsvDataset(tiny({ file: 'empty.csv' }), ['a'], { baseDir: dir })).rejects.toMatchObject({
      code: 'DATA_NO_USABLE_ROWS',
      message: `${join(dir, 'empty.csv')} has no data rows`,
    });
  });
});

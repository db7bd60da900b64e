import { DataError } from './errors.js';
import { csvDatasetConfigSchema, parseCsvDatasetConfig } from './schema.js';

const minimal = {
  id: 'site-a',
  format: 'csv',
  file: 'data.csv',
  columns: [
    { name: 'age', type: 'number' },
    { name: 'num', type: 'integer' },
  ],
  label: { column: 'num', rule: { kind: 'binary' } },
};

const issuesOf = (raw: unknown): string[] => {
  try {
    parseCsvDatasetConfig(raw, 'site.json');
  } catch (err) {
    expect(err).toBeInstanceOf(DataError);
    expect((err as DataError).code).toBe('DATA_CONFIG_INVALID');
    return (err as DataError).message.split('\n').slice(1).map((l) => l.trim());
  }
  throw new Error('expected the configuration to be rejected');
};

describe('csvDatasetConfigSchema', () => {
  it('fills defaults for the optional fields', () => {
    const cfg = parseCsvDatasetConfig(minimal);
    expect(cfg).toMatchObject({
      header: false,
      delimiter: ',',
      missingValues: ['?', ''],
      missingRule: 'impute',
      split: { testFraction: 0.25, seed: 42 },
      maxBadRowFraction: 0.1,
    });
  });

  it('accepts a train/test file pair and every label rule', () => {
    for (const rule of [
      { kind: 'greaterThan', value: 0 },
      { kind: 'equals', values: [1, 2] },
      { kind: 'binary' },
    ]) {
      const raw = { ...minimal, file: undefined, trainFile: 't.csv', testFile: 'v.csv', label: { column: 'num', rule } };
      expect(csvDatasetConfigSchema.safeParse(raw).success).toBe(true);
    }
  });

  it('reports every bad field on its own line', () => {
    expect(
      issuesOf({
        ...minimal,
        delimiter: ';;',
        columns: [{ name: 'age', type: 'float' }, { name: 'num', type: 'integer' }],
        split: { testFraction: 1, seed: 1 },
        label: { column: 'num', rule: { kind: 'greaterThan' } },
        extra: true,
      }),
    ).toEqual([
      'delimiter: delimiter must be a single character',
      'columns.0.type: Invalid option: expected one of "number"|"integer"',
      'label.rule.value: Invalid input: expected number, received undefined',
      'split.testFraction: testFraction must be below 1',
      '(root): Unrecognized key: "extra"',
    ]);
  });

  it('checks the file choice, duplicate columns and that the label is a column', () => {
    expect(
      issuesOf({
        ...minimal,
        file: undefined,
        trainFile: 't.csv',
        columns: [...minimal.columns, { name: 'age', type: 'number' }],
        label: { column: 'target', rule: { kind: 'binary' } },
      }),
    ).toEqual([
      'testFile: required with trainFile',
      'columns.2.name: duplicate column name "age"',
      'label.column: "target" is not one of the columns',
    ]);
    expect(issuesOf({ ...minimal, file: undefined })).toEqual(['file: required (or trainFile + testFile)']);
    expect(issuesOf({ ...minimal, testFile: 'v.csv' })).toEqual([
      'file: give either file or trainFile + testFile, not both',
    ]);
  });
});

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCsvFile, type CsvReadSpec } from './csv-reader.js';
import { DataError } from './errors.js';

const columns: CsvReadSpec['columns'] = [
  { name: 'age', type: 'number' },
  { name: 'sex', type: 'integer' },
  { name: 'chol', type: 'number', missingValues: ['?', '0'] },
  { name: 'num', type: 'integer' },
];

const spec = (over: Partial<CsvReadSpec> = {}): CsvReadSpec => ({
  header: false,
  delimiter: ',',
  columns,
  missingValues: ['?', ''],
  features: ['age', 'sex', 'chol'],
  label: { column: 'num', rule: { kind: 'greaterThan', value: 0 } },
  ...over,
});

describe('readCsvFile', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cohort-data-reader-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const write = async (name: string, text: string): Promise<string> => {
    const path = join(dir, name);
    await writeFile(path, text);
    return path;
  };

  it('parses rows, marks missing values as NaN and reports bad rows with 1-based lines', async () => {
    const file = await write(
      'mixed.csv',
      [
        '63,1,233,0', // 1
        '67,1,286', // 2: too few
        '', // 3: blank, skipped but counted
        '37,0,abc,2', // 4: non-numeric
        '41,0.5,204,0', // 5: not an integer
        '56,1,?,1', // 6: missing chol
        '57,0,0,?', // 7: chol "0" is missing; label missing
        '44,?,0,x', // 8: label not a number
        '50,1,,3', // 9: empty chol is not a missing marker for chol (its own list replaces the default)
        '52,1,199,4', // 10
      ].join('\n') + '\n',
    );
    const r = await readCsvFile(file, spec());
    expect(r.rowsRead).toBe(9);
    expect(r.badRowCount).toBe(6);
    expect(r.badRows).toEqual([
      { file, line: 2, reason: 'expected 4 columns, found 3' },
      { file, line: 4, reason: 'column "chol": "abc" is not a number' },
      { file, line: 5, reason: 'column "sex": "0.5" is not an integer' },
      { file, line: 7, reason: 'label column "num" is missing' },
      { file, line: 8, reason: 'column "num": "x" is not a number' },
      { file, line: 9, reason: 'column "chol": "" is not a number' },
    ]);
    expect(r.rows.map((row) => [...row])).toEqual([
      [63, 1, 233],
      [56, 1, NaN],
      [52, 1, 199],
    ]);
    expect(r.labels).toEqual([0, 1, 1]);
  });

  it('handles CRLF line endings, a byte-order mark and a final line without newline', async () => {
    const file = await write('crlf.csv', '\uFEFF63,1,233,0\r\n\r\n67,1,286\r\n37,0,250,2');
    const r = await readCsvFile(file, spec());
    expect(r.rows.map((row) => [...row])).toEqual([
      [63, 1, 233],
      [37, 0, 250],
    ]);
    expect(r.badRows).toEqual([{ file, line: 3, reason: 'expected 4 columns, found 3' }]);
  });

  it('reads quoted fields and other delimiters', async () => {
    const file = await write('semi.csv', '"63";1;" 233 ";0\n');
    const r = await readCsvFile(file, spec({ delimiter: ';' }));
    expect(r.rows.map((row) => [...row])).toEqual([[63, 1, 233]]);
  });

  it('reads only the requested features, in the requested order, so other columns cannot spoil a row', async () => {
    const file = await write('subset.csv', '63,junk,233,1\n');
    const r = await readCsvFile(file, spec({ features: ['chol', 'age'] }));
    expect(r.badRowCount).toBe(0);
    expect(r.rows.map((row) => [...row])).toEqual([[233, 63]]);
  });

  it('with a header, matches columns by name, ignores extra columns and counts columns from the header', async () => {
    const file = await write('header.csv', 'num,site,chol,sex,age\n1,A,240,0,50\n0,B,210,1\n');
    const r = await readCsvFile(file, spec({ header: true }));
    expect(r.rows.map((row) => [...row])).toEqual([[50, 0, 240]]);
    expect(r.labels).toEqual([1]);
    expect(r.rowsRead).toBe(2);
    expect(r.badRows).toEqual([{ file, line: 3, reason: 'expected 5 columns, found 4' }]);
  });

  it('names the schema columns a header lacks', async () => {
    const file = await write('badheader.csv', 'age,gender,cholesterol,num\n50,1,200,0\n');
    const err = await readCsvFile(file, spec({ header: true })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect((err as DataError).code).toBe('DATA_HEADER_MISMATCH');
    expect((err as DataError).message).toBe(
      `header of ${file} lacks "sex", "chol" (header has: age, gender, cholesterol, num)`,
    );
  });

  it('counts every bad row but keeps only the first samples', async () => {
    const file = await write('many.csv', Array.from({ length: 30 }, () => '1,2\n').join(''));
    const r = await readCsvFile(file, spec({ maxBadRowSamples: 5 }));
    expect(r.badRowCount).toBe(30);
    expect(r.badRows.map((b) => b.line)).toEqual([1, 2, 3, 4, 5]);
  });

  it('gives DATA_FILE_UNREADABLE for a missing file and for a directory', async () => {
    const missing = join(dir, 'nope.csv');
    await expect(readCsvFile(missing, spec())).rejects.toMatchObject({
      code: 'DATA_FILE_UNREADABLE',
      message: expect.stringContaining(`cannot read data file ${missing}`),
    });
    await expect(readCsvFile(dir, spec())).rejects.toMatchObject({ code: 'DATA_FILE_UNREADABLE' });
  });
});

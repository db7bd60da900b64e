import { Oid, parseInt8, pgGetTypeParser, pgliteParsers } from './type-parsers.js';

describe('type parsers', () => {
  it('reads int8 text as a number within ±(2^53 − 1) and refuses beyond', () => {
    expect(parseInt8('-9007199254740991')).toBe(-9007199254740991);
    expect(parseInt8('0')).toBe(0);
    expect(() => parseInt8('9007199254740992')).toThrow(
      "bigint value 9007199254740992 is outside JavaScript's safe integer range",
    );
  });

  it('decodes the same text the same way for node-postgres and PGlite', () => {
    // What the server sends in text format, and what both drivers must hand back.
    const cases: [number, string, unknown][] = [
      [Oid.int8, '42', 42],
      [Oid.date, '2024-01-02', '2024-01-02'],
      [Oid.timestamp, '2024-01-02 03:04:05.5', '2024-01-02 03:04:05.5'],
      [Oid.interval, '1 day 02:00:00', '1 day 02:00:00'],
    ];
    for (const [oid, text, expected] of cases) {
      expect(pgGetTypeParser(oid, 'text')(text)).toEqual(expected);
      expect(pgliteParsers[oid](text)).toEqual(expected);
    }
    expect(pgliteParsers[Oid.bytea]('\\x00ff10')).toEqual(Buffer.from([0, 255, 16]));
    expect(pgGetTypeParser(Oid.bytea, 'text')('\\x00ff10')).toEqual(Buffer.from([0, 255, 16]));
    expect(pgGetTypeParser(Oid.int8_array, 'text')('{{1,NULL},{-3,4}}')).toEqual([
      [1, null],
      [-3, 4],
    ]);
    expect(pgGetTypeParser(Oid.timestamp_array, 'text')('{"2024-01-02 03:04:05"}')).toEqual([
      '2024-01-02 03:04:05',
    ]);
  });
});

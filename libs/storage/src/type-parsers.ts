// node-postgres and PGlite decode some types differently; these parsers make both return the same values.
import pg from 'pg';
import { StorageError } from './errors.js';

/** PostgreSQL type OIDs (pg_type.oid) whose decoding is normalised. */
export const Oid = {
  bytea: 17,
  int8: 20,
  text_array: 1009,
  int8_array: 1016,
  date: 1082,
  timestamp: 1114,
  timestamp_array: 1115,
  date_array: 1182,
  interval: 1186,
  interval_array: 1187,
} as const;

/**
 * int8 becomes a JS number, and a value beyond ±(2^53 − 1) is refused rather than rounded: node-postgres
 * would return a string and PGlite a bigint, and either surprises code that does arithmetic on a count.
 * Cast in SQL (`::text`, `::numeric`) to read larger values.
 */
export function parseInt8(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n)) {
    throw new StorageError(
      'INT8_OUT_OF_RANGE',
      `bigint value ${text} is outside JavaScript's safe integer range; cast it to text in the query`,
    );
  }
  return n;
}

const identity = (text: string): string => text;

/** Parsers handed to PGlite; PGlite applies them to array elements too. */
export const pgliteParsers: Record<number, (text: string) => unknown> = {
  [Oid.int8]: parseInt8,
  // PGlite returns Uint8Array; node-postgres returns Buffer, a Uint8Array subclass that callers expect.
  [Oid.bytea]: (text: string) => Buffer.from(text.slice(2), 'hex'),
  // date, timestamp (without time zone) and interval stay text: turning them into Dates depends on the
  // process time zone, and node-postgres and PGlite disagree about it. timestamptz is a Date on both.
  [Oid.date]: identity,
  [Oid.timestamp]: identity,
  [Oid.interval]: identity,
};

type TextParser = (text: string) => unknown;

function mapNested(value: unknown, fn: (s: string) => unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => mapNested(v, fn));
  return typeof value === 'string' ? fn(value) : value;
}

// The text[] parser splits any array literal into (nested) string elements, which we then convert.
const parseTextArray = pg.types.getTypeParser(Oid.text_array as number, 'text') as (text: string) => unknown;

/** Type parsers for a node-postgres Pool, matching pgliteParsers; other types keep pg's defaults. */
export function pgGetTypeParser(oid: number, format?: 'text' | 'binary'): TextParser {
  if (format === 'binary') return pg.types.getTypeParser(oid, format) as TextParser;
  switch (oid) {
    case Oid.int8:
      return parseInt8;
    case Oid.int8_array:
      return (text) => mapNested(parseTextArray(text), parseInt8);
    case Oid.date:
    case Oid.timestamp:
    case Oid.interval:
      return identity;
    case Oid.date_array:
    case Oid.timestamp_array:
    case Oid.interval_array:
      return parseTextArray;
    default:
      return pg.types.getTypeParser(oid, 'text') as TextParser;
  }
}

import type { Database } from './database.js';
import { StorageError } from './errors.js';
import { storageBackends } from './spec-backends.js';
import type { TestDatabase } from './test-database.js';
import { openPgliteDatabase } from './pglite-database.js';
import { compilePgliteWorker } from './pglite-worker.testing.js';

const worker = await compilePgliteWorker();
afterAll(() => worker.remove());
const backends = [
  ...(await storageBackends()),
  {
    name: 'pglite on a worker thread',
    open: async (): Promise<TestDatabase> => {
      const db = await openPgliteDatabase(undefined, worker.url);
      return { db, description: db.description ?? '', close: () => db.close() };
    },
  },
];

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return undefined;
}

describe.each(backends)('Database on $name', ({ open }) => {
  let t: TestDatabase;
  let db: Database;

  beforeAll(async () => {
    t = await open();
    db = t.db;
  });
  afterAll(async () => {
    await t?.close();
  });

  describe('value types', () => {
    beforeAll(async () => {
      await db.query(`CREATE TABLE vals (
        id int PRIMARY KEY, b bytea, j jsonb, ts timestamptz, f float8, n int8, num numeric, d date, iv interval)`);
    });

    it('round-trips bytea as Buffer', async () => {
      const bytes = Buffer.from([0, 1, 2, 0xfe, 0xff]);
      await db.query('INSERT INTO vals (id, b) VALUES (1, $1)', [bytes]);
      const [row] = await db.query<{ b: Buffer }>('SELECT b FROM vals WHERE id = 1');
      expect(Buffer.isBuffer(row.b)).toBe(true);
      expect(row.b.toString('hex')).toBe('000102feff');
      // A plain Uint8Array parameter is accepted too (packed float32 weights arrive that way).
      const [u] = await db.query<{ b: Buffer }>('SELECT $1::bytea AS b', [new Uint8Array([9, 8])]);
      expect(u.b.toString('hex')).toBe('0908');
    });

    it('round-trips jsonb as parsed values', async () => {
      const value = { site: 'Cleveland', counts: [303, 0], nested: { ok: true, none: null }, text: 'é"\\' };
      await db.query('INSERT INTO vals (id, j) VALUES (2, $1::jsonb)', [JSON.stringify(value)]);
      const [row] = await db.query<{ j: unknown }>('SELECT j FROM vals WHERE id = 2');
      expect(row.j).toEqual(value);
    });

    it('round-trips timestamptz as Date to the millisecond', async () => {
      const at = new Date('2024-02-29T23:59:58.123Z');
      await db.query('INSERT INTO vals (id, ts) VALUES (3, $1)', [at]);
      const [row] = await db.query<{ ts: Date; epoch: number }>(
        'SELECT ts, extract(epoch FROM ts)::float8 AS epoch FROM vals WHERE id = 3',
      );
      expect(row.ts).toBeInstanceOf(Date);
      expect(row.ts.toISOString()).toBe('2024-02-29T23:59:58.123Z');
      // The server stored the same instant, not a time-zone-shifted one: 1709251198.123 s since 1970.
      expect(row.epoch).toBeCloseTo(1709251198.123, 3);
    });

    it('round-trips float8 exactly', async () => {
      const values = [0.1 + 0.2, -1e-310, 1.7976931348623157e308, 5e-324];
      for (const [i, f] of values.entries())
        await db.query('INSERT INTO vals (id, f) VALUES ($1, $2)', [10 + i, f]);
      const rows = await db.query<{ f: number }>('SELECT f FROM vals WHERE id >= 10 AND id < 20 ORDER BY id');
      expect(rows.map((r) => r.f)).toEqual(values);
    });

    it('returns bigint as a number and refuses one beyond 2^53 − 1', async () => {
      const max = Number.MAX_SAFE_INTEGER; // 9007199254740991
      await db.query('INSERT INTO vals (id, n) VALUES (20, $1)', [max]);
      const [row] = await db.query<{ n: number; c: number; arr: number[] }>(
        'SELECT n, (SELECT count(*) FROM vals) AS c, ARRAY[1, -2, NULL]::int8[] AS arr FROM vals WHERE id = 20',
      );
      expect(row.n).toBe(9007199254740991);
      expect(typeof row.c).toBe('number');
      expect(row.arr).toEqual([1, -2, null]);
      expect(await codeOf(db.query('SELECT 9007199254740993::int8 AS n'))).toBe('INT8_OUT_OF_RANGE');
      const [asText] = await db.query<{ n: string }>('SELECT 9007199254740993::int8::text AS n');
      expect(asText.n).toBe('9007199254740993');
    });

    it('returns numeric, date and interval as text, and NULL as null', async () => {
      const [row] = await db.query(
        `SELECT 12345678901234567890.5::numeric AS num, '2024-01-02'::date AS d, '1 day 02:00:00'::interval AS iv,
                ARRAY['2024-01-02'::date] AS ds, NULL::bytea AS nb, NULL::jsonb AS nj`,
      );
      expect(row).toEqual({
        num: '12345678901234567890.5',
        d: '2024-01-02',
        iv: '1 day 02:00:00',
        ds: ['2024-01-02'],
        nb: null,
        nj: null,
      });
    });
  });

  describe('queries', () => {
    it('runs a parameterless script and returns the last statement’s rows', async () => {
      const rows = await db.query<{ x: number }>(
        'CREATE TABLE script (x int); INSERT INTO script VALUES (7); SELECT x FROM script',
      );
      expect(rows).toEqual([{ x: 7 }]);
    });

    it('passes SQL errors through with their SQLSTATE', async () => {
      expect(await codeOf(db.query('SELECT * FROM no_such_table'))).toBe('42P01');
      expect(await codeOf(db.query('SELECT $1::int', ['not a number']))).toBe('22P02');
    });
  });

  describe('transactions', () => {
    beforeAll(async () => {
      await db.query('CREATE TABLE t (v text)');
    });
    beforeEach(async () => {
      await db.query('DELETE FROM t');
    });
    const values = async () => (await db.query<{ v: string }>('SELECT v FROM t ORDER BY v')).map((r) => r.v);

    it('commits when the function resolves and returns its value', async () => {
      const out = await db.transaction(async (tx) => {
        await tx.query("INSERT INTO t VALUES ('a')");
        await Promise.all([tx.query("INSERT INTO t VALUES ('b')"), tx.query("INSERT INTO t VALUES ('c')")]);
        return (await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM t'))[0].n;
      });
      expect(out).toBe(3);
      expect(await values()).toEqual(['a', 'b', 'c']);
    });

    it('rolls back and rethrows when the function throws', async () => {
      const boom = new Error('boom');
      await expect(
        db.transaction(async (tx) => {
          await tx.query("INSERT INTO t VALUES ('lost')");
          throw boom;
        }),
      ).rejects.toBe(boom);
      expect(await values()).toEqual([]);
    });

    it('rolls back when a statement fails, and refuses to report success if the failure was swallowed', async () => {
      expect(
        await codeOf(
          db.transaction(async (tx) => {
            await tx.query("INSERT INTO t VALUES ('lost')");
            await tx.query('SELECT * FROM no_such_table').catch(() => undefined);
          }),
        ),
      ).toBe('TRANSACTION_ABORTED');
      expect(await values()).toEqual([]);
    });

    it('refuses db.query inside its own transaction instead of hanging or escaping it', async () => {
      await db.transaction(async (tx) => {
        expect(await codeOf(db.query('SELECT 1'))).toBe('TRANSACTION_MISUSE');
        expect(await codeOf(db.transaction(() => Promise.resolve()))).toBe('TRANSACTION_MISUSE');
        await tx.query("INSERT INTO t VALUES ('kept')");
      });
      expect(await values()).toEqual(['kept']);
    });

    it('refuses tx.query after the transaction ended', async () => {
      let saved: { query: (sql: string) => Promise<unknown> } | undefined;
      await db.transaction((tx) => {
        saved = tx;
        return Promise.resolve();
      });
      expect(await codeOf(saved!.query('SELECT 1'))).toBe('TRANSACTION_MISUSE');
    });

    it('keeps a query issued elsewhere during a transaction out of it', async () => {
      let inside!: () => void;
      let release!: () => void;
      const started = new Promise<void>((r) => (inside = r));
      const gate = new Promise<void>((r) => (release = r));
      const txDone = db.transaction(async (tx) => {
        await tx.query("INSERT INTO t VALUES ('in-tx')");
        inside();
        await gate;
        throw new Error('abort');
      });
      await started;
      // On PGlite this waits for the transaction; on PostgreSQL it runs beside it. Neither may join it.
      const outside = db.query("INSERT INTO t VALUES ('outside')");
      release();
      await expect(txDone).rejects.toThrow('abort');
      await outside;
      expect(await values()).toEqual(['outside']);
    });
  });

  it('closes once, then refuses queries (runs last: closes the shared database)', async () => {
    await db.close();
    await db.close();
    const err = await db.query('SELECT 1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageError);
    expect((err as StorageError).code).toBe('DATABASE_CLOSED');
  });
});

import pg from 'pg';
import { StorageError } from './errors.js';
import { isDatabaseUnavailable } from './unavailable.js';

describe('isDatabaseUnavailable', () => {
  it('recognises connection faults by SQLSTATE, socket code and node-postgres message', () => {
    expect(isDatabaseUnavailable(Object.assign(new Error('terminating connection'), { code: '57P01' }))).toBe(
      true,
    );
    expect(
      isDatabaseUnavailable(
        Object.assign(new Error('the database system is starting up'), { code: '57P03' }),
      ),
    ).toBe(true);
    expect(isDatabaseUnavailable(Object.assign(new Error('x'), { code: '08006' }))).toBe(true);
    expect(
      isDatabaseUnavailable(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })),
    ).toBe(true);
    expect(isDatabaseUnavailable(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isDatabaseUnavailable(new StorageError('CONNECTION_FAILED', 'cannot connect'))).toBe(true);
    expect(isDatabaseUnavailable(new Error('audit append failed', { cause: { code: '57P01' } }))).toBe(true);
    expect(isDatabaseUnavailable(new AggregateError([new Error('Connection terminated')]))).toBe(true);
  });

  it('leaves statement errors and everything else alone', () => {
    expect(isDatabaseUnavailable(Object.assign(new Error('duplicate key'), { code: '23505' }))).toBe(false);
    expect(
      isDatabaseUnavailable(Object.assign(new Error('relation does not exist'), { code: '42P01' })),
    ).toBe(false);
    expect(isDatabaseUnavailable(new StorageError('TRANSACTION_ABORTED', 'rolled back'))).toBe(false);
    expect(isDatabaseUnavailable(new Error('quorum not reached'))).toBe(false);
    expect(isDatabaseUnavailable(undefined)).toBe(false);
    expect(isDatabaseUnavailable('Connection terminated')).toBe(false);
  });

  it('recognises what node-postgres reports when the server goes away under it', async () => {
    // A port nobody listens on: the driver's own connection error, not a hand-made one.
    const client = new pg.Client({
      connectionString: 'postgres://nobody@127.0.0.1:1/none',
      connectionTimeoutMillis: 2000,
    });
    const err = await client.connect().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isDatabaseUnavailable(err)).toBe(true);
  });
});

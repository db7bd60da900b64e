import { describeDatabaseUrl, redactPassword } from './database-url.js';
import { openDatabase } from './database.js';
import { StorageError } from './errors.js';

describe('database URLs in messages', () => {
  it('names user, host, port and database but never the password', () => {
    expect(describeDatabaseUrl('postgres://cohort:s3cret@db.example.org:6543/cohort?sslmode=require')).toBe(
      'postgres://cohort@db.example.org:6543/cohort',
    );
    expect(describeDatabaseUrl('postgresql://localhost/test')).toBe('postgresql://localhost/test');
    expect(describeDatabaseUrl('postgres:///cohort?host=/var/run/postgresql')).toBe(
      'postgres:///cohort?host=/var/run/postgresql',
    );
    expect(describeDatabaseUrl('not a url')).toBe('an unparseable PostgreSQL URL');
  });

  it('redacts the password, raw or percent-encoded, from driver messages', () => {
    const url = 'postgres://u:p%40ss@h/db';
    expect(redactPassword('failed for p@ss and p%40ss', url)).toBe('failed for *** and ***');
    expect(redactPassword('nothing to hide', 'postgres://u@h/db')).toBe('nothing to hide');
  });

  it('reports an unreachable server by host, without the password', async () => {
    // Port 1 on loopback refuses at once, so this needs no server.
    const err = await openDatabase({ url: 'postgres://cohort:s3cret@127.0.0.1:1/cohort' }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StorageError);
    expect((err as StorageError).code).toBe('CONNECTION_FAILED');
    expect((err as Error).message).toMatch(
      /^cannot connect to PostgreSQL at postgres:\/\/cohort@127\.0\.0\.1:1\/cohort: /,
    );
    expect((err as Error).message).not.toContain('s3cret');
  });
});

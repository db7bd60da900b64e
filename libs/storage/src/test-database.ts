// A throwaway database for tests: PostgreSQL in Docker, else a fresh database on TEST_DATABASE_URL, else PGlite.
import { readEnvironment } from '@cohort/config';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabase, type Database } from './database.js';
import { describeDatabaseUrl, redactPassword } from './database-url.js';
import { StorageError } from './errors.js';

export interface TestDatabase {
  db: Database;
  /** Which backend the tests got, e.g. "PostgreSQL at postgres://postgres@127.0.0.1:5432/cohort_test_…". */
  description: string;
  /** The database's URL, for a second connection or a child process; undefined for PGlite in memory. */
  url?: string;
  /** Closes the database and drops it (PostgreSQL) or discards it (PGlite). */
  close(): Promise<void>;
}

const POSTGRES_IMAGE = 'postgres:16-alpine';

/**
 * Whether a Docker engine answers, asking testcontainers (which honours DOCKER_HOST and
 * ~/.testcontainers.properties). Gives up after timeoutMs, since a dead socket can otherwise hang.
 */
export async function isDockerAvailable(timeoutMs = 1000): Promise<boolean> {
  let tc: typeof import('testcontainers');
  try {
    // Loaded only here: testcontainers is a development dependency and the barrel also serves production.
    tc = await import('testcontainers');
  } catch {
    return false;
  }
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((done) => {
    timer = setTimeout(() => done(false), timeoutMs);
  });
  const probe = tc.getContainerRuntimeClient().then(
    () => true,
    () => false,
  );
  try {
    return await Promise.race([probe, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

// One container per test process, shared by its test databases; each call still gets its own database.
let container: Promise<{ url: string; stop(): Promise<void> }> | undefined;
let containerUsers = 0;

async function acquireContainer(): Promise<string> {
  containerUsers++;
  container ??= (async () => {
    const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
    const started = await new PostgreSqlContainer(POSTGRES_IMAGE).start();
    return { url: started.getConnectionUri(), stop: async () => void (await started.stop()) };
  })();
  try {
    return (await container).url;
  } catch (err) {
    containerUsers--;
    container = undefined;
    throw err;
  }
}

async function releaseContainer(): Promise<void> {
  if (--containerUsers > 0 || !container) return;
  const c = await container;
  container = undefined;
  await c.stop();
}

async function withAdminClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (err) {
    throw new StorageError(
      'TEST_DATABASE_FAILED',
      `cannot connect to the test PostgreSQL at ${describeDatabaseUrl(url)}: ${redactPassword((err as Error).message, url)}`,
    );
  }
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * Creates a uniquely named database on the server (so test files running in parallel never share tables)
 * and drops it on close. Needs the CREATEDB privilege and PostgreSQL 13 or later (DROP … WITH (FORCE)).
 */
async function freshDatabaseOn(
  serverUrl: string,
  via: string,
  onClose: () => Promise<void>,
): Promise<TestDatabase> {
  const name = `cohort_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  await withAdminClient(serverUrl, async (admin) => {
    try {
      await admin.query(`CREATE DATABASE "${name}" TEMPLATE template0`);
    } catch (err) {
      throw new StorageError(
        'TEST_DATABASE_FAILED',
        `cannot create a test database on ${describeDatabaseUrl(serverUrl)} (the user needs CREATEDB): ${(err as Error).message}`,
      );
    }
  });
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  let db: Database;
  try {
    db = await openDatabase({ url: url.toString() });
  } catch (err) {
    await withAdminClient(serverUrl, (admin) => admin.query(`DROP DATABASE IF EXISTS "${name}"`));
    throw err;
  }
  return {
    db,
    description: `${db.description ?? 'PostgreSQL'} (${via})`,
    url: url.toString(),
    close: async () => {
      try {
        await db.close();
        await withAdminClient(serverUrl, (admin) =>
          admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
        );
      } finally {
        await onClose();
      }
    },
  };
}

/**
 * Opens an empty database for a test file. Prefers PostgreSQL in a Docker container (testcontainers), then
 * a fresh database on TEST_DATABASE_URL, then PGlite in memory, which it announces with console.warn
 * because tests then do not exercise a real server. `description` says which one was used.
 */
export async function openTestDatabase(): Promise<TestDatabase> {
  if (await isDockerAvailable()) {
    const serverUrl = await acquireContainer();
    try {
      return await freshDatabaseOn(
        serverUrl,
        `Docker container ${POSTGRES_IMAGE} via testcontainers`,
        releaseContainer,
      );
    } catch (err) {
      await releaseContainer();
      throw err;
    }
  }
  const { testDatabaseUrl } = readEnvironment();
  if (testDatabaseUrl) return freshDatabaseOn(testDatabaseUrl, 'TEST_DATABASE_URL', () => Promise.resolve());
  console.warn(
    'openTestDatabase: no Docker engine answered and TEST_DATABASE_URL is not set; using PGlite in memory',
  );
  const db = await openDatabase({});
  return {
    db,
    description: 'PGlite in memory (no Docker engine, no TEST_DATABASE_URL)',
    close: () => db.close(),
  };
}

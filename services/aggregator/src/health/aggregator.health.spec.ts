import { HealthIndicatorService } from '@nestjs/terminus';
import { migrate, openDatabase, type Database } from '@cohort/storage';
import type { EnclaveHost } from '../enclave/enclave-host.service.js';
import { MIGRATIONS_DIR } from '../database/database.providers.js';
import { AggregatorHealthIndicators, DATABASE_PROBE_MS } from './aggregator.health.js';
import { HealthRepository } from './health.repository.js';

function enclave(alive: boolean): EnclaveHost {
  return { alive, description: { measurement: 'sha256:abc' } } as unknown as EnclaveHost;
}

describe('aggregator readiness indicators', () => {
  let db: Database;

  beforeAll(async () => {
    db = await openDatabase();
  });
  afterAll(async () => {
    await db.close();
  });

  it('says which migrations a database lacks, then up once migrated', async () => {
    const indicators = new AggregatorHealthIndicators(
      new HealthRepository(db),
      enclave(true),
      new HealthIndicatorService(),
    );
    const before = await indicators.migrations();
    expect(before.migrations.status).toBe('down');
    expect(String(before.migrations.message)).toMatch(
      /^cannot read the applied migrations: .*schema_migrations/,
    );
    await migrate(db, MIGRATIONS_DIR);
    expect(await indicators.migrations()).toEqual({ migrations: { status: 'up' } });
    expect(await indicators.database()).toEqual({ database: { status: 'up' } });
    await db.query("DELETE FROM schema_migrations WHERE name = '0001_jobs_rounds_models.sql'");
    const lacking = await indicators.migrations();
    expect(lacking.migrations).toMatchObject({
      status: 'down',
      message: 'migrations not applied: 0001_jobs_rounds_models.sql',
      pending: ['0001_jobs_rounds_models.sql'],
    });
  }, 60_000);

  it('is down for a database that does not answer in time, naming the limit', async () => {
    const stuck = { ping: () => new Promise<void>(() => undefined) } as unknown as HealthRepository;
    const indicators = new AggregatorHealthIndicators(stuck, enclave(true), new HealthIndicatorService());
    const started = Date.now();
    const result = await indicators.database();
    expect(Date.now() - started).toBeGreaterThanOrEqual(DATABASE_PROBE_MS - 50);
    expect(result).toEqual({
      database: { status: 'down', message: `the database did not answer within ${DATABASE_PROBE_MS} ms` },
    });
  });

  it('is down once the enclave process has exited, up with its measurement while it runs', () => {
    const repo = new HealthRepository(db);
    expect(
      new AggregatorHealthIndicators(repo, enclave(true), new HealthIndicatorService()).enclaveProcess(),
    ).toEqual({ enclave: { status: 'up', measurement: 'sha256:abc' } });
    expect(
      new AggregatorHealthIndicators(repo, enclave(false), new HealthIndicatorService()).enclaveProcess(),
    ).toEqual({
      enclave: { status: 'down', message: 'the enclave process has exited; restart the aggregator' },
    });
  });
});

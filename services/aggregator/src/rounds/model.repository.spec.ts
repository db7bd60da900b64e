import { migrate, storageBackends, type Database, type TestDatabase } from '@cohort/storage';
import { MIGRATIONS_DIR } from '../database/database.providers.js';
import { ModelRepository } from './model.repository.js';

const backends = await storageBackends();

describe.each(backends)('global models on $name', ({ open }) => {
  let t: TestDatabase;
  let db: Database;
  let job = 0;
  let jobId: string;
  /** Model reads that reached the database. */
  let reads: number;
  let counted: Database;

  beforeAll(async () => {
    t = await open();
    db = t.db;
    await migrate(db, MIGRATIONS_DIR);
    counted = Object.create(db) as Database;
    counted.query = (sql, params) => {
      if (/SELECT round, weights/.test(sql)) reads++;
      return db.query(sql, params);
    };
  });
  afterAll(async () => {
    await t?.close();
  });
  beforeEach(async () => {
    reads = 0;
    jobId = `job-${++job}`;
    await db.query(`INSERT INTO jobs (id, spec, status, submitted_by) VALUES ($1, '{}', 'running', 'ada')`, [
      jobId,
    ]);
  });

  it('reads a model once however many silos ask for it at the same moment', async () => {
    const weights = Buffer.alloc(4096, 7);
    await new ModelRepository(db).save(jobId, 1, weights, Buffer.alloc(32, 1));
    const models = new ModelRepository(counted);
    const answers = await Promise.all(Array.from({ length: 20 }, () => models.get(jobId, 1)));
    expect(reads).toBe(1);
    for (const a of answers) expect(a?.weights.equals(weights)).toBe(true);
    await models.get(jobId, 1);
    expect(reads).toBe(1);
  });

  it('serves a remembered model without reading it', async () => {
    const models = new ModelRepository(counted);
    const weights = Buffer.alloc(64, 3);
    models.remember(jobId, { round: 2, weights, sha256: Buffer.alloc(32, 2) });
    expect((await models.get(jobId, 2))?.weights.equals(weights)).toBe(true);
    expect(reads).toBe(0);
  });

  it('asks the database again for a model that was not there', async () => {
    const models = new ModelRepository(counted);
    expect(await models.get(jobId, 3)).toBeUndefined();
    await models.save(jobId, 3, Buffer.alloc(8, 1), Buffer.alloc(32, 3));
    expect((await models.get(jobId, 3))?.weights.equals(Buffer.alloc(8, 1))).toBe(true);
    expect(reads).toBe(2);
  });
});

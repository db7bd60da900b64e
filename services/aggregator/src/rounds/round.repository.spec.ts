import { migrate, storageBackends, type Database, type TestDatabase } from '@cohort/storage';
import { MIGRATIONS_DIR } from '../database/database.providers.js';
import type { Metrics } from '@cohort/protocol';
import { RoundRepository } from './round.repository.js';

const backends = await storageBackends();
const metrics = (accuracy: number): Metrics => ({
  accuracy,
  auc: 0.8,
  loss: 0.5,
  examples: 10,
  positiveHistogram: [1, 2],
  negativeHistogram: [3, 4],
});

describe.each(backends)('rounds on $name', ({ open }) => {
  let t: TestDatabase;
  let db: Database;
  let rounds: RoundRepository;
  let job = 0;
  let jobId: string;

  beforeAll(async () => {
    t = await open();
    db = t.db;
    await migrate(db, MIGRATIONS_DIR);
    rounds = new RoundRepository(db);
  });
  afterAll(async () => {
    await t?.close();
  });
  beforeEach(async () => {
    jobId = `job-${++job}`;
    await db.query(`INSERT INTO jobs (id, spec, status, submitted_by) VALUES ($1, '{}', 'running', 'ada')`, [
      jobId,
    ]);
  });

  const silos = () =>
    db.query<{
      silo_id: string;
      update_status: string;
      reason: string;
      example_count: number;
      metrics: unknown;
    }>(
      `SELECT silo_id, update_status, reason, example_count, metrics FROM round_silos
       WHERE job_id = $1 ORDER BY round, silo_id`,
      [jobId],
    );
  const job_ = async () =>
    (
      await db.query<{ current_round: number; optimizer_state: Buffer | null; privacy_state: unknown }>(
        `SELECT current_round, optimizer_state, privacy_state FROM jobs WHERE id = $1`,
        [jobId],
      )
    )[0];

  it('starts a round with its participants pending and moves the job to it', async () => {
    await rounds.start(jobId, 1, ['a', 'b', 'c']);
    expect((await rounds.list(jobId)).map((r) => [r.round, r.status])).toEqual([[1, 'training']]);
    expect((await silos()).map((s) => [s.silo_id, s.update_status])).toEqual([
      ['a', 'pending'],
      ['b', 'pending'],
      ['c', 'pending'],
    ]);
    expect((await job_()).current_round).toBe(1);
  });

  it('records an aggregate at once: accepted, missing, the model, the optimiser state and evaluation', async () => {
    await rounds.start(jobId, 1, ['a', 'b', 'c']);
    const weights = Buffer.from([1, 2, 3, 4]);
    await rounds.recordAggregate(jobId, 1, { weights, sha256: Buffer.alloc(32, 7) }, Buffer.from([9]), [
      { siloId: 'a', exampleCount: 30, trainMs: 5 },
      {
        siloId: 'c',
        exampleCount: 12,
        trainMs: 6,
        outlier: { distance: 3, cosine: -1, norm: 2, flagged: true },
      },
    ]);
    expect((await silos()).map((s) => [s.silo_id, s.update_status, s.example_count, s.reason])).toEqual([
      ['a', 'accepted', 30, ''],
      ['b', 'missing', 0, 'no update before the round closed'],
      ['c', 'accepted', 12, ''],
    ]);
    expect((await rounds.listSilos(jobId)).find((s) => s.siloId === 'c')?.outlier).toEqual({
      distance: 3,
      cosine: -1,
      norm: 2,
      flagged: true,
    });
    const [model] = await db.query<{ weights: Buffer }>(
      `SELECT weights FROM models WHERE job_id = $1 AND round = 1`,
      [jobId],
    );
    expect(Buffer.from(model.weights)).toEqual(weights);
    expect(Buffer.from((await job_()).optimizer_state ?? [])).toEqual(Buffer.from([9]));
    expect((await job_()).privacy_state).toBeNull();
    expect((await rounds.list(jobId))[0]).toMatchObject({ status: 'evaluating', epsilonSpent: null });
    expect(await rounds.lastAggregatedRound(jobId)).toBe(1);
  });

  it('keeps the accountant and ε with a DP round, and reads back the latest ε', async () => {
    for (const [round, epsilon] of [
      [1, 0.5],
      [2, 0.75],
    ]) {
      await rounds.start(jobId, round, ['a']);
      await rounds.recordAggregate(
        jobId,
        round,
        { weights: Buffer.from([round]), sha256: Buffer.alloc(32) },
        Buffer.alloc(0),
        [{ siloId: 'a', exampleCount: 0, trainMs: 1 }],
        { state: { steps: round }, epsilonSpent: epsilon },
      );
    }
    expect((await job_()).privacy_state).toEqual({ steps: 2 });
    expect((await rounds.list(jobId)).map((r) => r.epsilonSpent)).toEqual([0.5, 0.75]);
    expect(await rounds.latestEpsilon(jobId)).toBe(0.75);
    // A job without DP has none.
    expect(await rounds.latestEpsilon('no-such-job')).toBeNull();
  });

  it('closes a round with its aggregate and each silo’s metrics', async () => {
    await rounds.start(jobId, 1, ['a', 'b']);
    await rounds.close(
      jobId,
      1,
      'completed',
      123.4,
      metrics(0.7),
      new Map([
        ['a', metrics(0.6)],
        ['b', metrics(0.8)],
      ]),
    );
    expect((await rounds.list(jobId))[0]).toMatchObject({
      status: 'completed',
      durationMs: 123,
      metrics: metrics(0.7),
    });
    expect((await silos()).map((s) => s.metrics)).toEqual([metrics(0.6), metrics(0.8)]);
    // A failed round closes without metrics.
    await rounds.start(jobId, 2, ['a']);
    await rounds.close(jobId, 2, 'failed', 5, null);
    expect((await rounds.list(jobId))[1]).toMatchObject({ status: 'failed', metrics: null });
  });

  it('restarts a round afresh: pending again, without a silo that is no longer taking part', async () => {
    await rounds.start(jobId, 1, ['a', 'b', 'c']);
    await rounds.recordAggregate(
      jobId,
      1,
      { weights: Buffer.from([1]), sha256: Buffer.alloc(32) },
      Buffer.alloc(0),
      [{ siloId: 'a', exampleCount: 3, trainMs: 1 }],
    );
    await rounds.close(jobId, 1, 'completed', 10, metrics(0.5), new Map([['a', metrics(0.5)]]));
    await rounds.start(jobId, 1, ['a', 'c']);
    expect((await silos()).map((s) => [s.silo_id, s.update_status, s.example_count, s.metrics])).toEqual([
      ['a', 'pending', 0, null],
      ['c', 'pending', 0, null],
    ]);
    expect((await rounds.list(jobId))[0]).toMatchObject({
      status: 'training',
      closedAt: null,
      metrics: null,
    });
  });
});

import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import {
  EXAMPLES_DIR,
  freshPostgresDatabase,
  http,
  startFederation,
  runJob,
  waitFor,
  waitForConnected,
  writeJson,
  type Federation,
} from './support/federation.js';
import { TaskKind } from '@cohort/protocol';
import { HandSilo } from './support/hand-silo.js';

const HOSPITALS = ['cleveland', 'hungarian', 'switzerland', 'va'];

async function demoJob(overrides: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  const spec = JSON.parse(await readFile(join(EXAMPLES_DIR, 'job.json'), 'utf8')) as Record<string, unknown>;
  return { ...spec, rounds: 3, ...overrides };
}

function checkCompletedJob(job: any, rounds: number, silos: string[]): void {
  expect(job.status).toBe('completed');
  expect(job.rounds).toHaveLength(rounds);
  for (const round of job.rounds) {
    expect(round.status).toBe('completed');
    const accepted = round.silos.filter((s: any) => s.updateStatus === 'accepted').map((s: any) => s.siloId);
    expect(accepted.sort()).toEqual([...silos].sort());
    expect(round.metrics.examples).toBeGreaterThan(150);
    expect(round.metrics.accuracy).toBeGreaterThan(0.5);
    expect(round.metrics.auc).toBeGreaterThan(0.5);
    for (const s of round.silos.filter((x: any) => x.updateStatus === 'accepted')) {
      expect(s.exampleCount).toBeGreaterThan(20);
      expect(Number.isFinite(s.metrics.loss)).toBe(true);
    }
  }
}

describe('a federation of four hospitals on PGlite, with a broken and a rogue silo', () => {
  let f: Federation;
  let brokenConfig: string;

  beforeAll(async () => {
    f = await startFederation();
    expect(f.database).toBe('pglite');
    // A hospital whose export is broken: a truncated row and a non-numeric value among 40 rows.
    const dir = await mkdtemp(join(tmpdir(), 'cohort-broken-'));
    const good = (
      await readFile(join(EXAMPLES_DIR, '../../data/heart-disease/processed.cleveland.data'), 'utf8')
    )
      .split('\n')
      .slice(0, 40);
    good[2] = '63,1,4,140,260,0,1,112';
    good[5] = good[5].replace(/^\d+/, 'sixty');
    await writeFile(join(dir, 'broken.csv'), good.join('\n'));
    const config = JSON.parse(await readFile(await f.hospitalConfig('cleveland'), 'utf8'));
    config.siloId = 'broken';
    config.datasets[0].file = join(dir, 'broken.csv');
    config.datasets[0].maxBadRowFraction = 0.02;
    config.stateDir = join(dir, 'state');
    brokenConfig = await writeJson(join(dir, 'silo-broken.json'), config);
    await Promise.all([
      ...HOSPITALS.map(async (h) => f.startSilo(h, await f.hospitalConfig(h))),
      f.startSilo('broken', brokenConfig),
    ]);
    await waitForConnected(f, 5);
  }, 240_000);

  afterAll(async () => {
    await f?.stop();
  }, 60_000);

  it('refuses invalid job specs with one message per bad field', async () => {
    const r = await http(
      'POST',
      `${f.gatewayUrl}/v1/jobs`,
      await demoJob({ model: { template: 'forest' }, rounds: -2, colour: 'red' }),
    );
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('JOB_SPEC_INVALID');
    const fields = r.body.error.details.map((d: any) => d.field);
    expect(fields).toEqual(expect.arrayContaining(['model.template', 'rounds']));
    expect(JSON.stringify(r.body.error.details)).toContain('colour');
    const quorum = await http('POST', `${f.gatewayUrl}/v1/jobs`, await demoJob({ minSilos: 9 }));
    expect(quorum.status).toBe(400);
    expect(JSON.stringify(quorum.body.error)).toContain('minSilos');
  });

  it('fails with a clear reason when the broken silo leaves the job short of its quorum', async () => {
    const job = await runJob(f, await demoJob({ minSilos: 5, offerTimeoutMs: 20_000 }));
    expect(job.status).toBe('failed');
    expect(job.failureReason).toMatch(/quorum not reached: 4 of 5/);
    const broken = job.decisions.find((d: any) => d.siloId === 'broken');
    expect(broken.accept).toBe(false);
    expect(broken.reason).toMatch(/broken\.csv/);
    expect(broken.reason).toMatch(/line 3/);
  }, 120_000);

  it('trains three rounds through the gateway, refuses a wrong-size update, and releases a loadable model', async () => {
    // An enrolled silo that answers every train task with an update of the wrong size.
    const rogue = await HandSilo.enrol(f, 'rogue');
    await rogue.connect();
    const outcomes: any[] = [];
    let stop = false;
    const answer = async (): Promise<void> => {
      for (let round = 1; round <= 3 && !stop; round++) {
        const task = await rogue
          .nextTask((t) => t.kind === TaskKind.TASK_KIND_TRAIN && t.round === round, 120_000)
          .catch(() => undefined);
        if (!task) return;
        const { header, sealed } = await rogue.buildUpdate(task, {
          values: (task.globalModel?.parameterCount ?? 0) + 3,
        });
        outcomes.push(await rogue.upload(header, sealed));
      }
    };
    const answering = answer();
    try {
      await waitForConnected(f, 6);
      const job = await runJob(f, await demoJob({ minSilos: 4 }));
      checkCompletedJob(job, 3, HOSPITALS);
      for (const round of job.rounds) {
        const r = round.silos.find((s: any) => s.siloId === 'rogue');
        expect(r.updateStatus).toBe('rejected');
        expect(r.reason).toMatch(/UPDATE_SIZE_MISMATCH/);
      }
      await answering;
      expect(outcomes).toHaveLength(3);
      for (const o of outcomes) {
        expect(o.code).toBe(status.INVALID_ARGUMENT);
        expect(o.errorCode).toBe('UPDATE_SIZE_MISMATCH');
        expect(o.message).toMatch(/11 parameters/);
      }
      expect(job.decisions.find((d: any) => d.siloId === 'broken').accept).toBe(false);

      const model = await http('GET', `${f.gatewayUrl}/v1/jobs/${job.jobId}/model`);
      expect(model.status).toBe(200);
      expect(model.body.format).toBe('layers-model');
      expect(model.body.weightsManifest[0].paths).toEqual(['model.weights.bin']);
      const bin = await fetch(`${f.gatewayUrl}/v1/jobs/${job.jobId}/model.weights.bin`, {
        headers: { authorization: `Bearer ${f.adminToken}` },
      });
      expect(bin.status).toBe(200);
      expect((await bin.arrayBuffer()).byteLength).toBe(11 * 4);
    } finally {
      stop = true;
      rogue.close();
    }
  }, 180_000);

  it('answers 404 for a job that does not exist', async () => {
    const r = await http('GET', `${f.gatewayUrl}/v1/jobs/00000000-0000-0000-0000-000000000000`);
    expect(r.status).toBe(404);
    expect(r.body.error.code).toBe('JOB_NOT_FOUND');
  });
});

describe('the same federation on PostgreSQL', () => {
  let f: Federation | undefined;
  let db: Awaited<ReturnType<typeof freshPostgresDatabase>>;

  beforeAll(async () => {
    db = await freshPostgresDatabase();
    if (!db) {
      console.warn(
        'TEST_DATABASE_URL is not set and no Docker engine answers: the PostgreSQL end-to-end run is replaced by PGlite',
      );
    }
    f = await startFederation({ databaseUrl: db?.url });
    await Promise.all(HOSPITALS.map(async (h) => f!.startSilo(h, await f!.hospitalConfig(h))));
    await waitForConnected(f, 4);
  }, 240_000);

  afterAll(async () => {
    await f?.stop();
    await db?.drop();
  }, 60_000);

  it('runs three rounds and keeps the state in PostgreSQL', async () => {
    expect(f!.database).toBe(db ? 'postgres' : 'pglite');
    const job = await runJob(f!, await demoJob({ minSilos: 4, serverOptimizer: { kind: 'fedavgm' } }));
    checkCompletedJob(job, 3, HOSPITALS);
  }, 180_000);

  it('cancels a running job: it ends cancelled, keeps its completed rounds and releases no model', async () => {
    const submitted = await http(
      'POST',
      `${f!.gatewayUrl}/v1/jobs`,
      await demoJob({ rounds: 500, minSilos: 4 }),
    );
    expect(submitted.status).toBe(201);
    const id = submitted.body.jobId;
    await waitFor('two completed rounds', async () => {
      const r = await http('GET', `${f!.gatewayUrl}/v1/jobs/${id}`);
      return r.body.rounds.filter((x: any) => x.status === 'completed').length >= 2 ? true : undefined;
    });
    const cancelled = await http('POST', `${f!.gatewayUrl}/v1/jobs/${id}/cancel`, { reason: 'wrong cohort' });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    expect(cancelled.body.failureReason).toBe('wrong cohort');
    const later = await http('GET', `${f!.gatewayUrl}/v1/jobs/${id}`);
    expect(later.body.status).toBe('cancelled');
    expect(later.body.rounds.filter((x: any) => x.status === 'completed').length).toBeGreaterThanOrEqual(2);
    const model = await http('GET', `${f!.gatewayUrl}/v1/jobs/${id}/model`);
    expect(model.status).toBe(409);
    expect(model.body.error.code).toBe('MODEL_NOT_RELEASED');
    const again = await http('POST', `${f!.gatewayUrl}/v1/jobs/${id}/cancel`, {});
    expect(again.status).toBe(409);
  }, 120_000);
});

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  EXAMPLES_DIR,
  http,
  startFederation,
  runJob,
  waitFor,
  waitForConnected,
  writeJson,
  type Federation,
} from './support/federation.js';

const HOSPITALS = ['cleveland', 'hungarian', 'switzerland', 'va'];

async function dpJob(privacy: Record<string, unknown>, overrides: Record<string, unknown> = {}) {
  const spec = JSON.parse(await readFile(join(EXAMPLES_DIR, 'job.json'), 'utf8')) as Record<string, unknown>;
  return {
    ...spec,
    rounds: 6,
    minSilos: 3,
    local: { epochs: 1, batchSize: 32, learningRate: 2 },
    privacy: { enabled: true, targetEpsilon: 3, delta: 1e-3, samplingRate: 0.2, ...privacy },
    ...overrides,
  };
}

describe('differentially private jobs on the heart-disease federation', () => {
  let f: Federation;
  let swissState: string;

  beforeAll(async () => {
    f = await startFederation();
    // Switzerland's hospital allows at most ε 2 over the dataset's lifetime.
    const swiss = JSON.parse(await readFile(await f.hospitalConfig('switzerland'), 'utf8'));
    swiss.policy = { ...swiss.policy, privacy: { lifetimeEpsilon: 2 } };
    swissState = swiss.stateDir;
    const swissConfig = await writeJson(join(f.home, 'silos', 'switzerland-strict.json'), swiss);
    await Promise.all(
      HOSPITALS.map(async (h) =>
        f.startSilo(h, h === 'switzerland' ? swissConfig : await f.hospitalConfig(h)),
      ),
    );
    await waitForConnected(f, 4);
  }, 240_000);

  afterAll(async () => {
    await f?.stop();
  }, 60_000);

  it('refuses an invalid privacy request with one message per field', async () => {
    const r = await http(
      'POST',
      `${f.gatewayUrl}/v1/jobs`,
      await dpJob({ targetEpsilon: -1, delta: 2, mode: 'cloud' }),
    );
    expect(r.status).toBe(400);
    expect(r.body.error.details.map((d: any) => d.field).sort()).toEqual(
      ['privacy.delta', 'privacy.mode', 'privacy.targetEpsilon'].sort(),
    );
  });

  it('spends at most the target, records it per round, releases no per-silo metric, and a silo guards its ledger', async () => {
    const job = await runJob(f, await dpJob({}));
    expect(job.status).toBe('completed');

    // The strict hospital declined: its lifetime budget of 2 cannot hold a job planned at 3.
    const swiss = job.decisions.find((d: any) => d.siloId === 'switzerland');
    expect(swiss.accept).toBe(false);
    expect(swiss.reason).toMatch(/lifetime 2/);

    expect(job.privacy.level).toBe('patient');
    expect(job.privacy.mode).toBe('central');
    expect(job.privacy.delta).toBe(1e-3);
    expect(job.privacy.epsilon).toBeLessThanOrEqual(3);
    expect(job.privacy.epsilon).toBeGreaterThan(2.5);
    expect(job.privacy.noiseMultiplier).toBeGreaterThan(0.5);
    expect(job.privacy.rounds).toBe(6);
    const spent = job.rounds.map((r: any) => r.epsilonSpent);
    for (let i = 1; i < spent.length; i++) expect(spent[i]).toBeGreaterThan(spent[i - 1]);
    expect(spent[spent.length - 1]).toBeCloseTo(job.privacy.epsilon, 6);
    for (const round of job.rounds) {
      expect(round.metrics).toBeNull();
      for (const s of round.silos.filter((x: any) => x.updateStatus === 'accepted')) {
        expect(s.exampleCount).toBe(0);
        expect(s.metrics).toBeNull();
      }
      expect(round.silos.filter((x: any) => x.updateStatus === 'accepted')).toHaveLength(3);
    }

    // Each participating silo charged its own ledger; the strict one holds nothing for this job.
    // Once the job has finished, the silo keeps only what was spent (the rest of the reservation is released).
    const entry = await waitFor('the ledger to close the job', async () => {
      const ledger = JSON.parse(
        await readFile(join(f.home, 'silos', 'cleveland', 'privacy-ledger.json'), 'utf8'),
      );
      const e = ledger.entries.find((x: any) => x.jobId === job.jobId);
      return e?.status === 'finished' ? e : undefined;
    });
    expect(entry.targetEpsilon).toBe(3);
    expect(entry.rounds).toBe(6);
    expect(entry.spentEpsilon).toBeCloseTo(job.privacy.epsilon, 3);
    await expect(readFile(join(swissState, 'privacy-ledger.json'), 'utf8')).rejects.toThrow();

    const model = await http('GET', `${f.gatewayUrl}/v1/jobs/${job.jobId}/model`);
    expect(model.status).toBe(200);
    // The released model carries its privacy statement.
    expect(model.body.userDefinedMetadata.cohortPrivacyStatement).toMatchObject({
      level: 'patient',
      mode: 'central',
      delta: 1e-3,
      rounds: 6,
    });
    expect(model.body.userDefinedMetadata.cohortPrivacyStatement.epsilon).toBeCloseTo(job.privacy.epsilon, 9);
  }, 180_000);

  it('runs in local mode and at silo level too', async () => {
    for (const privacy of [{ mode: 'local' }, { level: 'silo', targetEpsilon: 8 }]) {
      const job = await runJob(f, await dpJob(privacy, { rounds: 3 }));
      expect(job.status).toBe('completed');
      expect(job.privacy.epsilon).toBeLessThanOrEqual(job.spec.privacy.targetEpsilon);
      if ('level' in privacy) expect(job.privacy.samplingRate).toBe(1);
    }
  }, 180_000);
});

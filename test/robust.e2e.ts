import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TaskKind } from '@cohort/protocol';
import { EXAMPLES_DIR, http, startFederation, waitFor, type Federation } from './support/federation.js';
import { HandSilo } from './support/hand-silo.js';

const HOSPITALS = ['cleveland', 'hungarian', 'switzerland', 'va'];

/**
 * Four honest hospitals and a fifth, enrolled silo whose every update is a large negative constant vector (a model-poisoning
 * attack). FedAvg follows it; the robust rules, running inside the enclave on the held updates, do not, and the
 * enclave's outlier scores flag the attacker every round.
 */
describe('robust aggregation against a poisoning silo', () => {
  let f: Federation;
  let mallory: HandSilo;
  let stop = false;

  beforeAll(async () => {
    f = await startFederation();
    await Promise.all(HOSPITALS.map(async (h) => f.startSilo(h, await f.hospitalConfig(h))));
    mallory = await HandSilo.enrol(f, 'mallory');
    await mallory.connect();
    void (async () => {
      const answered = new Set<string>();
      while (!stop) {
        const task = await mallory
          .nextTask(
            (t) => t.kind === TaskKind.TASK_KIND_TRAIN && !answered.has(`${t.jobId}#${t.round}`),
            2_000,
          )
          .catch(() => undefined);
        if (!task) continue;
        answered.add(`${task.jobId}#${task.round}`);
        const { header, sealed } = await mallory.buildUpdate(task, { fill: -1000 });
        await mallory.upload(header, sealed);
      }
    })();
    await waitFor('five connected silos', async () => {
      const r = await http<{ silos: { connected: boolean }[] }>('GET', `${f.gatewayUrl}/v1/silos`);
      return r.body.silos.filter((s) => s.connected).length >= 5 ? true : undefined;
    });
  }, 240_000);

  afterAll(async () => {
    stop = true;
    mallory?.close();
    await f?.stop();
  }, 60_000);

  async function run(rule: string, params: Record<string, number> = {}): Promise<any> {
    const spec = JSON.parse(await readFile(join(EXAMPLES_DIR, 'job.json'), 'utf8'));
    const submitted = await http('POST', `${f.gatewayUrl}/v1/jobs`, {
      ...spec,
      rounds: 4,
      minSilos: 5,
      aggregation: { rule, params },
    });
    expect(submitted.status).toBe(201);
    return waitFor(
      `the ${rule} job to end`,
      async () => {
        const r = await http('GET', `${f.gatewayUrl}/v1/jobs/${submitted.body.jobId}`);
        return ['completed', 'failed', 'cancelled'].includes(r.body.status) ? r.body : undefined;
      },
      120_000,
    );
  }

  /** Accuracy on the hospitals' own held-out records (the attacker reports whatever it likes). */
  function honestAccuracy(round: any): number {
    const honest = round.silos.filter((s: any) => HOSPITALS.includes(s.siloId) && s.metrics);
    const n = honest.reduce((a: number, s: any) => a + s.metrics.examples, 0);
    return honest.reduce((a: number, s: any) => a + s.metrics.accuracy * s.metrics.examples, 0) / n;
  }

  it('refuses Krum when the quorum cannot exceed 2f + 2', async () => {
    const spec = JSON.parse(await readFile(join(EXAMPLES_DIR, 'job.json'), 'utf8'));
    const r = await http('POST', `${f.gatewayUrl}/v1/jobs`, {
      ...spec,
      minSilos: 4,
      aggregation: { rule: 'krum', params: { f: 1 } },
    });
    expect(r.status).toBe(400);
    expect(r.body.error.details[0].field).toBe('aggregation.params.f');
  });

  it('FedAvg is dragged by the attacker; median, trimmed mean, Krum and geometric median are not, and flag it', async () => {
    const fedavg = await run('fedavg');
    expect(fedavg.status).toBe('completed');
    const fedavgAccuracy = honestAccuracy(fedavg.rounds[3]);

    for (const [rule, params] of [
      ['median', {}],
      ['trimmed-mean', { beta: 0.2 }],
      ['krum', { f: 1 }],
      ['geometric-median', {}],
    ] as const) {
      const job = await run(rule, params);
      expect(job.status).toBe('completed');
      const last = job.rounds[3];
      // The honest federation reaches ~0.72 after four rounds; the poisoned FedAvg does not.
      expect(honestAccuracy(last)).toBeGreaterThan(0.65);
      expect(honestAccuracy(last)).toBeGreaterThan(fedavgAccuracy + 0.05);
      for (const round of job.rounds) {
        const flagged = round.silos.filter((s: any) => s.outlier?.flagged).map((s: any) => s.siloId);
        expect(flagged).toEqual(['mallory']);
        const evil = round.silos.find((s: any) => s.siloId === 'mallory').outlier;
        const honest = round.silos.find((s: any) => s.siloId === 'cleveland').outlier;
        expect(evil.distance).toBeGreaterThan(10 * honest.distance);
      }
    }
  }, 300_000);
});

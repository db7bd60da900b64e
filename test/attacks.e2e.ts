import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCsvDataset, parseCsvDatasetConfig, type SiloDataset } from '@cohort/data';
import { TaskKind, sha256, unpackFloat32, type Task } from '@cohort/protocol';
import { initTensorflow, trainLocal } from '@cohort/training';
import { createRandom } from '@cohort/model';
import {
  EXAMPLES_DIR,
  http,
  runJob,
  startFederation,
  waitForConnected,
  type Federation,
} from './support/federation.js';
import { HandSilo } from './support/hand-silo.js';

const HOSPITALS = ['cleveland', 'hungarian', 'switzerland', 'va'];
type Attack = 'honest' | 'sign-flip' | 'noise' | 'label-flip';
const ROUNDS = 10;

/**
 * The four hospitals plus a fifth, malicious silo holding a share of the training rows (200 of Hungary's records).
 * It trains honestly on them, then attacks: its update ×(−10), its update plus Gaussian noise of 10× its norm, or
 * trained on flipped labels. Robust rules, inside the enclave, keep the model where the attack-free run takes it;
 * plain FedAvg does not; the outlier report flags the attacker.
 */
describe('attacks by a malicious silo', () => {
  let f: Federation;
  let mallory: HandSilo;
  let data: SiloDataset;
  let attack: Attack = 'honest';
  let stop = false;

  async function update(task: Task): Promise<Float32Array> {
    const spec = task.spec!;
    const global = unpackFloat32(task.modelWeights);
    expect(sha256(task.modelWeights).equals(Buffer.from(task.globalModel!.sha256))).toBe(true);
    const train = attack === 'label-flip' ? { ...data.train, y: data.train.y.map((y) => 1 - y) } : data.train;
    const { delta } = await trainLocal(spec.model!, data.train.d, global, train, {
      ...spec.local!,
      seed: task.round,
    });
    if (attack === 'sign-flip') return delta.map((v) => -10 * v);
    if (attack === 'noise') {
      const norm = Math.sqrt(delta.reduce((a, v) => a + v * v, 0));
      const sd = (10 * norm) / Math.sqrt(delta.length);
      // Seeded, so the attack (and the test) is the same every run.
      const random = createRandom(task.round);
      return delta.map(
        (v) => v + sd * Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random()),
      );
    }
    return delta;
  }

  beforeAll(async () => {
    await initTensorflow();
    f = await startFederation();
    await Promise.all(HOSPITALS.map(async (h) => f.startSilo(h, await f.hospitalConfig(h))));
    // The attacker's share of the rows, read with the hospitals' own schema.
    const hungary = JSON.parse(await readFile(await f.hospitalConfig('hungarian'), 'utf8'));
    const dir = await mkdtemp(join(tmpdir(), 'cohort-mallory-'));
    const rows = (await readFile(hungary.datasets[0].file, 'utf8')).split('\n').slice(0, 200).join('\n');
    await writeFile(join(dir, 'share.csv'), rows);
    const job = JSON.parse(await readFile(join(EXAMPLES_DIR, 'job.json'), 'utf8'));
    data = await loadCsvDataset(
      parseCsvDatasetConfig({ ...hungary.datasets[0], file: join(dir, 'share.csv') }),
      job.dataset.features,
      { baseDir: dir },
    );
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
        const { header, sealed } = await mallory.buildUpdate(task, { plaintext: await update(task) });
        await mallory.upload(header, sealed);
      }
    })();
    await waitForConnected(f, 5);
  }, 240_000);

  afterAll(async () => {
    stop = true;
    mallory?.close();
    await f?.stop();
  }, 60_000);

  /** Accuracy on the hospitals' own held-out records after the last round (the attacker reports what it likes). */
  function honestAccuracy(job: any): number {
    const last = job.rounds[job.rounds.length - 1];
    const honest = last.silos.filter((s: any) => HOSPITALS.includes(s.siloId) && s.metrics);
    const n = honest.reduce((a: number, s: any) => a + s.metrics.examples, 0);
    return honest.reduce((a: number, s: any) => a + s.metrics.accuracy * s.metrics.examples, 0) / n;
  }

  async function run(rule: string, params: Record<string, number>): Promise<any> {
    const spec = JSON.parse(await readFile(join(EXAMPLES_DIR, 'job.json'), 'utf8'));
    const job = await runJob(f, { ...spec, rounds: ROUNDS, minSilos: 5, aggregation: { rule, params } });
    expect(job.status).toBe('completed');
    return job;
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

  const RULES: [string, Record<string, number>][] = [
    ['median', {}],
    ['trimmed-mean', { beta: 0.2 }],
    ['krum', { f: 1 }],
    ['geometric-median', {}],
  ];

  it('median, trimmed mean and geometric median stay within 3 points of the attack-free run, FedAvg degrades, the attacker is flagged', async () => {
    const results: Record<string, Record<Attack, number>> = {};
    const flaggedShare: Record<string, Record<Attack, number>> = {};
    for (const [rule, params] of [['fedavg', {}] as [string, Record<string, number>], ...RULES]) {
      results[rule] = {} as Record<Attack, number>;
      flaggedShare[rule] = {} as Record<Attack, number>;
      for (const a of ['honest', 'sign-flip', 'noise', 'label-flip'] as Attack[]) {
        attack = a;
        const job = await run(rule, params);
        results[rule][a] = honestAccuracy(job);
        const flagged = job.rounds.filter((r: any) =>
          r.silos.some((s: any) => s.siloId === 'mallory' && s.outlier?.flagged),
        ).length;
        flaggedShare[rule][a] = flagged / job.rounds.length;
      }
    }
    console.log(JSON.stringify({ accuracy: results, flaggedShare }));
    // Median, trimmed mean and geometric median hold the model where the attack-free run takes it. Krum, which
    // keeps one update, does not on this five-silo federation (see the closing note of issue 5): not asserted.
    for (const rule of ['median', 'trimmed-mean', 'geometric-median']) {
      for (const a of ['sign-flip', 'noise', 'label-flip'] as Attack[]) {
        expect(Math.abs(results[rule][a] - results[rule].honest)).toBeLessThanOrEqual(0.03);
      }
    }
    // Every robust rule's report flags the blatant attacks in most rounds.
    for (const [rule] of RULES) {
      expect(flaggedShare[rule]['sign-flip']).toBeGreaterThanOrEqual(0.8);
      expect(flaggedShare[rule].noise).toBeGreaterThanOrEqual(0.8);
    }
    // Plain FedAvg follows the sign-flipped updates.
    expect(results.fedavg.honest - results.fedavg['sign-flip']).toBeGreaterThan(0.03);
  }, 600_000);
});

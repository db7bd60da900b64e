// Wire efficiency (scale issue): the example job with its updates in float32, float16 and 8-bit stochastic
// quantization, four real hospitals; each completes, loses little accuracy, and sends the bytes it should.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { WeightsEncoding } from '@cohort/protocol';
import { encodedLength } from '@cohort/quantization';
import { sealedLength } from '@cohort/sealing';
import {
  EXAMPLES_DIR,
  runJob,
  startFederation,
  waitForConnected,
  type Federation,
} from './support/federation.js';

const HOSPITALS = ['cleveland', 'hungarian', 'switzerland', 'va'];
const ROUNDS = 5;
const ENCODINGS = {
  float32: WeightsEncoding.WEIGHTS_ENCODING_FLOAT32,
  float16: WeightsEncoding.WEIGHTS_ENCODING_FLOAT16,
  int8: WeightsEncoding.WEIGHTS_ENCODING_INT8_STOCHASTIC,
} as const;
type Name = keyof typeof ENCODINGS;

interface Sent {
  jobId: string;
  round: number;
  bytes: number;
  encoding?: string;
}

/** The `update.sent` entries of a hospital's own audit log (what it put on the wire, as it recorded it). */
async function sentUpdates(f: Federation, hospital: string): Promise<Sent[]> {
  const text = await readFile(join(f.home, 'silos', hospital, 'audit.jsonl'), 'utf8');
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, any>)
    .map((l) => (l.record ?? l.entry ?? l) as { action?: string; details?: Sent })
    .filter((r) => r.action === 'update.sent' && r.details)
    .map((r) => r.details as Sent);
}

describe('wire encodings', () => {
  let f: Federation;
  const results: Record<string, { job: any; accuracy: number; bytes: number[] }> = {};

  beforeAll(async () => {
    f = await startFederation();
    await Promise.all(HOSPITALS.map(async (h) => f.startSilo(h, await f.hospitalConfig(h))));
    await waitForConnected(f, HOSPITALS.length);
    const spec = JSON.parse(await readFile(join(EXAMPLES_DIR, 'job.json'), 'utf8'));
    for (const name of Object.keys(ENCODINGS) as Name[]) {
      const job = await runJob(f, {
        ...spec,
        name: `wire-${name}`,
        rounds: ROUNDS,
        wire: { encoding: name },
      });
      const sent = (await Promise.all(HOSPITALS.map((h) => sentUpdates(f, h)))).flat();
      results[name] = {
        job,
        accuracy: job.rounds.at(-1)?.metrics?.accuracy ?? NaN,
        bytes: sent.filter((s) => s.jobId === job.jobId).map((s) => s.bytes),
      };
    }
  }, 600_000);

  afterAll(async () => {
    await f?.stop();
  }, 60_000);

  it('completes every round with every hospital in each encoding', () => {
    for (const name of Object.keys(ENCODINGS) as Name[]) {
      const { job } = results[name];
      expect({ name, status: job.status, spec: job.spec.wire }).toEqual({
        name,
        status: 'completed',
        spec: { encoding: name },
      });
      expect(job.rounds).toHaveLength(ROUNDS);
      for (const round of job.rounds) {
        const accepted = round.silos
          .filter((s: any) => s.updateStatus === 'accepted')
          .map((s: any) => s.siloId);
        expect(accepted.sort()).toEqual([...HOSPITALS].sort());
      }
    }
  });

  it('keeps accuracy within 2 points of float32 for float16 and 3 for int8', () => {
    const base = results.float32.accuracy;
    const report = Object.fromEntries(
      (Object.keys(ENCODINGS) as Name[]).map((n) => [
        n,
        {
          accuracy: +results[n].accuracy.toFixed(4),
          deltaPoints: +((results[n].accuracy - base) * 100).toFixed(2),
          // Loss and AUC move even when the thresholded predictions (accuracy) do not.
          loss: +results[n].job.rounds.at(-1).metrics.loss.toFixed(5),
          auc: +(results[n].job.rounds.at(-1).metrics.auc ?? NaN).toFixed(4),
        },
      ]),
    );
    console.log(`wire encodings, held-out accuracy after ${ROUNDS} rounds: ${JSON.stringify(report)}`);
    expect(base).toBeGreaterThan(0.5);
    expect(Math.abs(results.float16.accuracy - base)).toBeLessThanOrEqual(0.02);
    expect(Math.abs(results.int8.accuracy - base)).toBeLessThanOrEqual(0.03);
  });

  it('sends each update as sealedLength(encodedLength(encoding, P)) bytes', () => {
    // Logistic regression: one weight per feature, and the bias.
    const p = results.float32.job.spec.dataset.features.length + 1;
    const report: Record<string, unknown> = {};
    for (const name of Object.keys(ENCODINGS) as Name[]) {
      const expected = sealedLength(encodedLength(ENCODINGS[name], p));
      const bytes = results[name].bytes;
      expect(bytes).toHaveLength(ROUNDS * HOSPITALS.length);
      expect(new Set(bytes)).toEqual(new Set([expected]));
      report[name] = { bytesPerUpdate: bytes[0], plaintext: encodedLength(ENCODINGS[name], p) };
    }
    console.log(`wire encodings, bytes per sealed update (P = ${p}): ${JSON.stringify(report)}`);
    expect(results.float16.bytes[0]).toBeLessThan(results.float32.bytes[0]);
    expect(results.int8.bytes[0]).toBeLessThan(results.float16.bytes[0]);
  });
});

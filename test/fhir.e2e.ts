import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { COHORT_BIN } from '../services/cli/src/demo/processes.js';

const run = promisify(execFile);
const ROUNDS = 3;

interface Summary {
  accuracy: number;
  auc: number | null;
  examples: number;
}

async function demo(cwd: string, source: 'csv' | 'fhir') {
  const { stdout } = await run(
    process.execPath,
    [COHORT_BIN, 'demo', '--rounds', String(ROUNDS), '--source', source, '--json'],
    { cwd, timeout: 300_000 },
  );
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]) as {
    status: string;
    rounds: number;
    source: string;
    metrics: Summary;
    pooledBaseline: { metrics: Summary };
    perSilo: Record<string, Summary>;
  };
}

describe('cohort demo --source fhir', () => {
  let cwd: string;

  beforeAll(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'cohort-demo-fhir-'));
  });

  afterAll(async () => {
    await rm(cwd, { recursive: true, force: true });
  });

  it('trains the four hospitals from their FHIR bulk exports to the accuracy of the CSV demo', async () => {
    const csv = await demo(cwd, 'csv');
    const fhir = await demo(cwd, 'fhir');
    process.stdout.write(
      `FHIR demo after ${ROUNDS} rounds: accuracy ${fhir.metrics.accuracy} (CSV ${csv.metrics.accuracy}), ` +
        `AUC ${fhir.metrics.auc} (CSV ${csv.metrics.auc})\n`,
    );
    expect(csv.source).toBe('csv');
    expect(fhir.source).toBe('fhir');
    for (const r of [csv, fhir]) {
      expect(r.status).toBe('completed');
      expect(r.rounds).toBe(ROUNDS);
    }
    // The same patients in the same split: every held-out set has the same size, and the model the same skill.
    expect(fhir.metrics.examples).toBe(csv.metrics.examples);
    expect(Math.abs(fhir.metrics.accuracy - csv.metrics.accuracy)).toBeLessThanOrEqual(0.005);
    expect(Math.abs((fhir.metrics.auc ?? 0) - (csv.metrics.auc ?? 0))).toBeLessThanOrEqual(0.005);
    expect(
      Math.abs(fhir.pooledBaseline.metrics.accuracy - csv.pooledBaseline.metrics.accuracy),
    ).toBeLessThanOrEqual(0.005);
    expect(fhir.metrics.accuracy).toBeGreaterThan(0.55);
    for (const silo of ['cleveland', 'hungarian', 'switzerland', 'va']) {
      expect(fhir.perSilo[silo].examples).toBe(csv.perSilo[silo].examples);
    }
  }, 700_000);
});

// `cohort simulate` as a researcher runs it: virtual silos in one process against the real services.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { COHORT_BIN } from '../services/cli/src/demo/processes.js';
import type { SimulationResult } from '../services/cli/src/simulate/run-simulation.js';

const run = promisify(execFile);

// A simulation starts an aggregator, its enclave, a gateway and enrols every virtual silo: minutes on a busy CI box.
const SIMULATION_MS = 600_000;

async function cohort(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [COHORT_BIN, ...args], {
      maxBuffer: 16 << 20,
      timeout: 600_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

function lastJson<T>(stdout: string): T {
  return JSON.parse(stdout.trim().split('\n').pop() ?? '') as T;
}

/** Data lines of a CSV file (no header in the heart-disease files). */
async function lines(file: string): Promise<string[]> {
  return (await readFile(file, 'utf8')).split('\n').filter((l) => l.trim() !== '');
}

describe('cohort simulate', () => {
  let home: string;

  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'cohort-simulate-'));
  });

  afterAll(async () => {
    await rm(home, { recursive: true, force: true });
  }, SIMULATION_MS);

  it(
    'splits the four hospitals by Dirichlet(0.3) over six virtual silos and runs the job through the real services',
    async () => {
      const dir = join(home, 'dirichlet');
      const r = await cohort([
        'simulate',
        '--split',
        'dirichlet',
        '--silos',
        '6',
        '--alpha',
        '0.3',
        '--rounds',
        '3',
        '--home',
        dir,
        '--json',
      ]);
      expect(r.stderr).not.toMatch(/error/i);
      expect(r.code).toBe(0);
      const result = lastJson<SimulationResult>(r.stdout);
      expect(result).toMatchObject({
        status: 'completed',
        split: 'dirichlet',
        silos: 6,
        rounds: 3,
        parameters: 11,
      });
      expect(result.audit).toMatchObject({ ok: true, firstBrokenSeq: null });
      expect(result.timing.perRound.map((x) => x.round)).toEqual([1, 2, 3]);
      for (const x of result.timing.perRound) {
        expect(x.trainMs).toBeGreaterThan(0);
        expect(x.overheadMs).toBeCloseTo(x.ms - x.trainMs, 5);
      }
      // Six silos evaluate each round on the training thread: a share of the overhead, never all of it.
      expect(result.timing.meanEvaluateMs).toBeGreaterThan(0);
      expect(result.timing.meanEvaluateMs).toBeLessThan(result.timing.meanOverheadMs);
      expect(result.peakRssMB.aggregator).toBeGreaterThan(0);
      expect(result.peakRssMB.enclave).toBeGreaterThan(0);

      // Every record of the four hospitals went to exactly one virtual silo, and the label mix differs by silo.
      const hospitals = ['cleveland', 'hungarian', 'switzerland', 'va'];
      const source = (
        await Promise.all(hospitals.map((h) => lines(join('data/heart-disease', `processed.${h}.data`))))
      ).flat();
      const files = (await readdir(join(dir, 'data'))).filter((f) => f.endsWith('.csv')).sort();
      expect(files).toHaveLength(6);
      const parts = await Promise.all(files.map((f) => lines(join(dir, 'data', f))));
      expect(parts.flat().sort()).toEqual([...source].sort());
      // Label-skewed silos still learn a model better than always guessing the majority class.
      const positives = source.filter((l) => Number(l.split(',')[13]) > 0).length / source.length;
      expect(result.metrics?.accuracy).toBeGreaterThan(Math.max(positives, 1 - positives));
      const positiveShare = parts.map((p) => p.filter((l) => Number(l.split(',')[13]) > 0).length / p.length);
      expect(Math.max(...positiveShare) - Math.min(...positiveShare)).toBeGreaterThan(0.3);

      // Each virtual silo is a real agent: its own enrolled key and its own audit log.
      const silos = (await readdir(join(dir, 'silos'))).sort();
      expect(silos).toEqual(files.map((f) => f.replace(/\.csv$/, '')));
      const log = await readFile(join(dir, 'silos', silos[0], 'audit.jsonl'), 'utf8');
      expect(log).toContain('silo.enrolled');
      expect(log).toContain('update.sent');
    },
    SIMULATION_MS,
  );

  it(
    'generates synthetic silos for a parameter budget and trains the MLP that fits it',
    async () => {
      const dir = join(home, 'synthetic');
      const r = await cohort([
        'simulate',
        '--split',
        'synthetic',
        '--silos',
        '3',
        '--parameters',
        '5000',
        '--rows-per-silo',
        '40',
        '--rounds',
        '2',
        '--rule',
        'median',
        '--home',
        dir,
        '--json',
      ]);
      expect(r.code).toBe(0);
      const result = lastJson<SimulationResult>(r.stdout);
      // mlpShapeFor(5000): 71 features, 68 hidden units, (71 + 2) · 68 + 1 parameters.
      expect(result).toMatchObject({
        status: 'completed',
        silos: 3,
        rounds: 2,
        rule: 'median',
        parameters: 4965,
      });
      expect(result.audit.ok).toBe(true);
      const header = (await lines(join(dir, 'data', 'synthetic-1.csv')))[0].split(',');
      expect(header).toHaveLength(72);
      expect(header[71]).toBe('label');
    },
    SIMULATION_MS,
  );

  it(
    'refuses bad arguments with exit code 2 and says which',
    async () => {
      const bogus = await cohort(['simulate', '--split', 'bogus', '--json']);
      expect(bogus.code).toBe(2);
      expect(bogus.stdout + bogus.stderr).toContain(
        '--split must be one of natural, iid, dirichlet, synthetic',
      );
      const natural = await cohort(['simulate', '--silos', '5', '--json']);
      expect(natural.code).toBe(2);
      expect(natural.stdout + natural.stderr).toContain('--silos does not apply to the natural split');
      const tooMany = await cohort([
        'simulate',
        '--split',
        'iid',
        '--silos',
        '200',
        '--home',
        join(home, 'x'),
        '--json',
      ]);
      expect(tooMany.code).not.toBe(0);
      expect(tooMany.stdout + tooMany.stderr).toContain('cannot give each of 200 silos');
      // A folder it did not make is never replaced: the person's files stay.
      const mine = join(home, 'not-a-simulation');
      await mkdir(mine, { recursive: true });
      await writeFile(join(mine, 'notes.txt'), 'keep me');
      const refused = await cohort(['simulate', '--home', mine, '--json']);
      expect(refused.code).not.toBe(0);
      expect(refused.stdout + refused.stderr).toContain('was not made by cohort simulate');
      expect(await readFile(join(mine, 'notes.txt'), 'utf8')).toBe('keep me');
    },
    SIMULATION_MS,
  );
});

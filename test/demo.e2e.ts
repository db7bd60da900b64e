import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { COHORT_BIN } from '../services/cli/src/demo/processes.js';

const run = promisify(execFile);

describe('cohort demo --json', () => {
  let cwd: string;

  beforeAll(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'cohort-demo-'));
  });

  afterAll(async () => {
    await rm(cwd, { recursive: true, force: true });
  });

  it('runs the four-hospital federation and ends with one JSON object; a second run needs no cleanup', async () => {
    for (let attempt = 0; attempt < 2; attempt++) {
      const { stdout } = await run(process.execPath, [COHORT_BIN, 'demo', '--rounds', '2', '--json'], {
        cwd,
        timeout: 180_000,
      });
      const lines = stdout.trim().split('\n');
      const result = JSON.parse(lines[lines.length - 1]);
      expect(result.status).toBe('completed');
      expect(result.rounds).toBe(2);
      expect(result.jobId).toMatch(/^[0-9a-f-]{36}$/);
      for (const m of [result.metrics, result.pooledBaseline.metrics]) {
        expect(m.examples).toBe(231);
        expect(m.accuracy).toBeGreaterThan(0.55);
        expect(m.auc).toBeGreaterThan(0.6);
      }
      expect(Object.keys(result.perSilo).sort()).toEqual(['cleveland', 'hungarian', 'switzerland', 'va']);
      for (const m of Object.values<any>(result.perSilo)) {
        expect(m.auc === null || (m.auc >= 0 && m.auc <= 1)).toBe(true);
        expect(Number.isFinite(m.loss)).toBe(true);
      }
      expect(result.overheadMsPerRound).toBeGreaterThan(0);
      expect(result.overheadMsPerRound).toBeLessThan(result.meanRoundMs);
    }
  }, 400_000);
});

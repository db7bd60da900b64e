// The training thread of `cohort simulate`, on the build (its worker runs compiled JavaScript, not the sources
// jest transforms): it must give what training in place gives, and fail the way training in place fails.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { COHORT_BIN } from '../services/cli/src/demo/processes.js';

type Training = typeof import('../libs/training/src/index.js');

const BUILT = join(COHORT_BIN, '..', '..', 'dist', 'libs', 'training', 'src', 'index.js');

describe('training thread (built)', () => {
  let t: Training;

  beforeAll(async () => {
    // `cohort --version` builds dist/ first when the sources are newer than it.
    execFileSync(process.execPath, [COHORT_BIN, '--version']);
    expect(existsSync(BUILT)).toBe(true);
    t = (await import(BUILT)) as Training;
    await t.initTensorflow();
  }, 300_000);

  afterAll(async () => {
    await t?.stopTrainingThread();
  });

  const mlp = { template: 'mlp', hiddenUnits: [4] };
  const d = 3;
  const data = {
    x: Float32Array.from({ length: 8 * d }, (_, i) => Math.sin(i)),
    y: Float32Array.from({ length: 8 }, (_, i) => i % 2),
    n: 8,
    d,
  };
  const weights = Float32Array.from({ length: (d + 2) * 4 + 1 }, (_, i) => Math.cos(i) / 4);
  const options = { epochs: 2, batchSize: 4, learningRate: 0.1, seed: 7 };

  it('trains and evaluates on the thread exactly as in place', async () => {
    const inPlace = await t.trainLocal(mlp, d, weights, data, options);
    const scoredInPlace = await t.evaluateModel(mlp, d, inPlace.weights, data);
    await t.startTrainingThread();
    try {
      const onThread = await t.trainLocal(mlp, d, weights, data, options);
      expect([...onThread.delta]).toEqual([...inPlace.delta]);
      expect([...onThread.weights]).toEqual([...inPlace.weights]);
      expect(onThread.trainMs).toBeGreaterThan(0);
      const scored = await t.evaluateModel(mlp, d, onThread.weights, data);
      expect([...scored.scores]).toEqual([...scoredInPlace.scores]);
      // The caller's arrays are its own: nothing was moved away from it.
      expect(weights.length).toBe((d + 2) * 4 + 1);
      expect(data.x.length).toBe(8 * d);
    } finally {
      await t.stopTrainingThread();
    }
  });

  it('fails on the thread with the error training in place gives', async () => {
    await t.startTrainingThread();
    try {
      await expect(t.trainLocal(mlp, d, weights.subarray(1), data, options)).rejects.toMatchObject({
        name: 'ModelError',
        code: 'WEIGHTS_LENGTH_MISMATCH',
      });
    } finally {
      await t.stopTrainingThread();
    }
  });
});

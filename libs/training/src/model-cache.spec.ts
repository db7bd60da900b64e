import * as tf from '@tensorflow/tfjs';
import { initTensorflow } from './backend.js';
import { evaluateModel } from './evaluate.js';
import { clearModelCache, withModel } from './model-cache.js';

describe('model cache', () => {
  beforeAll(async () => {
    await initTensorflow('wasm');
  });

  it('keeps a bounded number of models and releases them all on clear', async () => {
    const baseline = tf.memory().numTensors;
    const logreg = { template: 'logreg', hiddenUnits: [] };
    // Twenty input widths: more models than the cache keeps, two variables each.
    for (let d = 1; d <= 20; d++) {
      const data = { x: new Float32Array(d), y: Float32Array.from([1]), n: 1, d };
      const { scores } = await evaluateModel(logreg, d, new Float32Array(d + 1), data);
      expect(scores[0]).toBeCloseTo(0.5, 6);
    }
    expect(tf.memory().numTensors - baseline).toBeLessThanOrEqual(2 * 8);
    await clearModelCache();
    expect(tf.memory().numTensors).toBe(baseline);
  });

  it('builds a model again after the cache was cleared', async () => {
    await clearModelCache();
    const data = { x: Float32Array.from([1]), y: Float32Array.from([1]), n: 1, d: 1 };
    const { scores } = await evaluateModel(
      { template: 'logreg', hiddenUnits: [] },
      1,
      Float32Array.from([2, 0]),
      data,
    );
    expect(scores[0]).toBeCloseTo(1 / (1 + Math.exp(-2)), 6);
  });

  it('lets the event loop run between two uses queued on the same model', async () => {
    const logreg = { template: 'logreg', hiddenUnits: [] };
    const seen: string[] = [];
    const first = withModel(logreg, 3, () => {
      seen.push('first');
    });
    const second = withModel(logreg, 3, () => {
      seen.push('second');
    });
    // An I/O-phase callback queued after both uses: it must not wait for the whole queue to drain.
    setImmediate(() => seen.push('immediate'));
    await Promise.all([first, second]);
    expect(seen).toEqual(['first', 'immediate', 'second']);
  });
});

import { initialWeights } from '@cohort/model';
import { initTensorflow } from './backend.js';
import { concatData } from './data.js';
import { evaluateModel } from './evaluate.js';
import { binaryMetrics } from '@cohort/evaluation';
import { trainPooled } from './pooled.js';
import { rows, separableData } from './testing/synthetic.js';

describe('trainPooled', () => {
  const spec = { template: 'logreg', hiddenUnits: [] };
  const all = separableData(600, 6, 3);
  const silos = [rows(all, 0, 100), rows(all, 100, 250), rows(all, 250, 450)];
  const test = rows(all, 450, 600);
  const options = { epochs: 2, batchSize: 16, learningRate: 0.5, seed: 4 };

  beforeAll(async () => {
    await initTensorflow('wasm');
  });

  it('trains on the union of the silos for rounds × epochs epochs', async () => {
    const seen: number[] = [];
    const result = await trainPooled(spec, 6, initialWeights(spec, 6, 1), silos, options, 5, (round) => {
      seen.push(round);
    });
    expect(seen).toEqual([1, 2, 3, 4, 5]);
    expect(result.examples).toBe(450);
    expect(result.epochs).toBe(10);
    const { scores, labels } = await evaluateModel(spec, 6, result.weights, test);
    expect(binaryMetrics(scores, labels).accuracy).toBeGreaterThan(0.95);
  });

  it('gives the same model for the silos’ datasets as for their concatenation, and is deterministic', async () => {
    const initial = initialWeights(spec, 6, 2);
    const fromList = await trainPooled(spec, 6, initial, silos, options, 3);
    const fromUnion = await trainPooled(spec, 6, initial, concatData(silos), options, 3);
    expect(fromUnion.weights).toEqual(fromList.weights);
    const otherSeed = await trainPooled(spec, 6, initial, silos, { ...options, seed: 5 }, 3);
    expect(otherSeed.weights).not.toEqual(fromList.weights);
  });

  it('hands each round’s weights to onRound', async () => {
    const snapshots: Float32Array[] = [];
    const result = await trainPooled(spec, 6, initialWeights(spec, 6, 1), silos, options, 2, (_round, w) => {
      snapshots.push(w.slice());
    });
    expect(snapshots).toHaveLength(2);
    expect(snapshots[1]).toEqual(result.weights);
    expect(snapshots[0]).not.toEqual(snapshots[1]);
  });

  it('refuses a round count that is not a positive integer', async () => {
    await expect(trainPooled(spec, 6, initialWeights(spec, 6, 1), silos, options, 0)).rejects.toThrow(
      'rounds must be a positive integer, got 0',
    );
  });
});

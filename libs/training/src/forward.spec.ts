import { initialWeights, modelArchitecture } from '@cohort/model';
import * as tf from '@tensorflow/tfjs';
import { initTensorflow } from './backend.js';
import { logitsOf } from './forward.js';
import { buildTfModel, setFlatWeights } from './tf-model.js';

describe('logitsOf', () => {
  beforeAll(async () => {
    await initTensorflow('wasm');
  });

  it.each([
    { template: 'logreg', hiddenUnits: [] },
    { template: 'mlp', hiddenUnits: [7, 3] },
  ])('gives the logits of what the layers model predicts (%j)', (spec) => {
    const model = buildTfModel(spec, 5);
    // Non-zero biases too, so their placement is checked.
    setFlatWeights(
      model,
      initialWeights(spec, 5, 3).map((v, i) => v + 0.01 * (i % 3)),
    );
    const x = tf.randomNormal<tf.Rank.R2>([20, 5], 0, 1, 'float32', 4);
    const predicted = (model.predict(x) as tf.Tensor).dataSync();
    const variables = model.trainableWeights.map((w) => w.read());
    const viaLogits = tf.sigmoid(logitsOf(modelArchitecture(spec, 5), variables, x)).dataSync();
    expect(viaLogits.length).toBe(20);
    viaLogits.forEach((p, i) => expect(p).toBeCloseTo(predicted[i], 6));
    model.dispose();
  });
});

import { modelLayout, parameterCount } from '@cohort/model';
import * as tf from '@tensorflow/tfjs';
import { initTensorflow } from './backend.js';
import { buildTfModel, getFlatWeights, setFlatWeights, tfModelLayout } from './tf-model.js';

describe.each(['wasm', 'cpu'] as const)('tf-model on %s', (backend) => {
  beforeAll(async () => {
    await initTensorflow(backend);
  });

  const mlp = { template: 'mlp', hiddenUnits: [3, 2] };

  it('has the tensors of modelLayout, in the order getWeights returns them', () => {
    const model = buildTfModel(mlp, 4);
    expect(tfModelLayout(model)).toEqual(modelLayout(mlp, 4));
    expect(model.getWeights().map((w) => w.shape)).toEqual(modelLayout(mlp, 4).map((t) => t.shape));
    model.dispose();
  });

  it('round-trips a packed vector, slice by slice in layout order', () => {
    const model = buildTfModel(mlp, 4);
    const count = parameterCount(modelLayout(mlp, 4)); // 4*3 + 3 + 3*2 + 2 + 2 + 1 = 26
    expect(count).toBe(26);
    const flat = Float32Array.from({ length: count }, (_, i) => i / 10 - 1);
    setFlatWeights(model, flat);
    expect(getFlatWeights(model)).toEqual(flat);
    const [k0, b0, k1, b1, k2, b2] = model.getWeights().map((w) => Array.from(w.dataSync()));
    expect(k0).toEqual(Array.from(flat.subarray(0, 12)));
    expect(b0).toEqual(Array.from(flat.subarray(12, 15)));
    expect(k1).toEqual(Array.from(flat.subarray(15, 21)));
    expect(b1).toEqual(Array.from(flat.subarray(21, 23)));
    expect(k2).toEqual(Array.from(flat.subarray(23, 25)));
    expect(b2).toEqual(Array.from(flat.subarray(25)));
    model.dispose();
  });

  it('does not alias the caller’s array', () => {
    const model = buildTfModel({ template: 'logreg', hiddenUnits: [] }, 2);
    const flat = Float32Array.from([1, 2, 3]);
    setFlatWeights(model, flat);
    flat.fill(0);
    const out = getFlatWeights(model);
    expect(Array.from(out)).toEqual([1, 2, 3]);
    out.fill(9);
    expect(Array.from(getFlatWeights(model))).toEqual([1, 2, 3]);
    model.dispose();
  });

  it('computes relu hidden layers and a sigmoid output', () => {
    const model = buildTfModel({ template: 'mlp', hiddenUnits: [2] }, 2);
    // dense_0 kernel [[1, -1], [2, 0.5]], bias [0, 0.5]; dense_1 kernel [[1], [-2]], bias [0.25]
    setFlatWeights(model, Float32Array.from([1, -1, 2, 0.5, 0, 0.5, 1, -2, 0.25]));
    const x = tf.tensor2d([
      [1, 1],
      [-1, 0.5],
    ]);
    const out = (model.predict(x) as tf.Tensor).dataSync();
    // Row 1: hidden relu([3, 0]) = [3, 0]; logit 3 + 0.25. Row 2: hidden relu([0, 1.75]) = [0, 1.75]; logit -3.5 + 0.25.
    const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
    expect(out[0]).toBeCloseTo(sigmoid(3.25), 6);
    expect(out[1]).toBeCloseTo(sigmoid(-3.25), 6);
    tf.dispose([x]);
    model.dispose();
  });

  it('refuses a vector of the wrong length', () => {
    const model = buildTfModel({ template: 'logreg', hiddenUnits: [] }, 2);
    expect(() => setFlatWeights(model, new Float32Array(4))).toThrow(
      'weight vector has 4 values, the model has 3 parameters',
    );
    model.dispose();
  });
});

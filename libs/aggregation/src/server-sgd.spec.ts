import { serverSgdStep } from './server-sgd.js';

const f32 = (...xs: number[]) => Float32Array.from(xs);

describe('serverSgdStep', () => {
  it('with η = 1 adds the delta (FedAvg)', () => {
    expect(serverSgdStep(f32(1, -2, 0.5), f32(0.5, 1, -0.25))).toEqual(f32(1.5, -1, 0.25));
  });

  it('scales the delta by η over several rounds', () => {
    let w: Float32Array = f32(1, -2);
    w = serverSgdStep(w, f32(2, 4), 0.5); // [2, 0]
    w = serverSgdStep(w, f32(-1, 1), 0.5); // [1.5, 0.5]
    w = serverSgdStep(w, f32(3, -3), 0.5); // [3, -1]
    expect(w).toEqual(f32(3, -1));
  });

  it('does not modify its inputs', () => {
    const w = f32(1, 2);
    const d = f32(3, 4);
    serverSgdStep(w, d);
    expect([w, d]).toEqual([f32(1, 2), f32(3, 4)]);
  });

  it('refuses a bad learning rate, a length mismatch and non-finite input', () => {
    expect(() => serverSgdStep(f32(1), f32(1), 0)).toThrow('learningRate must be in (0, Infinity)');
    expect(() => serverSgdStep(f32(1, 2), f32(1))).toThrow('delta has 1 values, expected 2');
    expect(() => serverSgdStep(f32(NaN), f32(1))).toThrow('weights has a non-finite value');
  });
});

import { fedAvgMStep } from './fedavgm.js';
import { serverSgdStep } from './server-sgd.js';

const f32 = (...xs: number[]) => Float32Array.from(xs);
const close = (xs: number[]): unknown[] => xs.map((x): unknown => expect.closeTo(x, 6));

describe('fedAvgMStep', () => {
  it('matches three rounds computed by hand (β = 0.9, η = 0.5)', () => {
    const params = { learningRate: 0.5, momentum: 0.9 };
    // Round 1: v = [0.5, 1];                       w = [1, -2] + 0.5v  = [1.25, -1.5]
    let r = fedAvgMStep(f32(1, -2), f32(0.5, 1), undefined, params);
    expect(Array.from(r.velocity)).toEqual(close([0.5, 1]));
    expect(Array.from(r.weights)).toEqual(close([1.25, -1.5]));
    // Round 2: v = 0.9[0.5, 1] + [0.5, -1] = [0.95, -0.1]; w = [1.725, -1.55]
    r = fedAvgMStep(r.weights, f32(0.5, -1), r.velocity, params);
    expect(Array.from(r.velocity)).toEqual(close([0.95, -0.1]));
    expect(Array.from(r.weights)).toEqual(close([1.725, -1.55]));
    // Round 3, a zero delta still moves the model: v = [0.855, -0.09]; w = [2.1525, -1.595]
    r = fedAvgMStep(r.weights, f32(0, 0), r.velocity, params);
    expect(Array.from(r.velocity)).toEqual(close([0.855, -0.09]));
    expect(Array.from(r.weights)).toEqual(close([2.1525, -1.595]));
  });

  it('with β = 0 is the plain server step', () => {
    const params = { learningRate: 0.5, momentum: 0 };
    let a = fedAvgMStep(f32(1, 2), f32(2, 4), undefined, params);
    a = fedAvgMStep(a.weights, f32(-1, 1), a.velocity, params);
    const b = serverSgdStep(serverSgdStep(f32(1, 2), f32(2, 4), 0.5), f32(-1, 1), 0.5);
    expect(a.weights).toEqual(b);
  });

  it('refuses momentum outside [0, 1) and a velocity of the wrong length', () => {
    expect(() => fedAvgMStep(f32(1), f32(1), undefined, { learningRate: 1, momentum: 1 })).toThrow(
      'momentum must be in [0, 1)',
    );
    expect(() => fedAvgMStep(f32(1), f32(1), f32(1, 2), { learningRate: 1, momentum: 0.9 })).toThrow(
      'momentum state has 2 values, expected 1',
    );
  });
});

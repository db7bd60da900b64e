import { AggregationError } from './errors.js';
import { decodeOptimizerState, encodeOptimizerState } from './optimizer-state-codec.js';
import {
  applyServerOptimizer,
  type ServerOptimizerKind,
  type ServerOptimizerState,
} from './server-optimizer.js';

const f32 = (...xs: number[]) => Float32Array.from(xs);
const close = (xs: number[]): unknown[] => xs.map((x): unknown => expect.closeTo(x, 6));

const deltas = [f32(7, 1, -1), f32(-5, 7, 1), f32(5, -5, 0)];

describe('applyServerOptimizer', () => {
  it("'none' with the default η = 1 is FedAvg: w + Δ", () => {
    const r = applyServerOptimizer('none', {}, f32(1, 2, 3), deltas[0], undefined);
    expect(r.weights).toEqual(f32(8, 3, 2));
    expect(r.state).toEqual({ kind: 'none', steps: 1 });
  });

  it("'fedavgm' uses the momentum parameter (hand-computed, β = 0.5)", () => {
    // v1 = [7, 1, -1], w1 = v1; v2 = 0.5v1 + Δ2 = [-1.5, 7.5, 0.5], w2 = w1 + v2 = [5.5, 8.5, -0.5]
    const p = { momentum: 0.5 };
    const r1 = applyServerOptimizer('fedavgm', p, f32(0, 0, 0), deltas[0], undefined);
    const r2 = applyServerOptimizer('fedavgm', p, r1.weights, deltas[1], r1.state);
    expect(Array.from(r2.weights)).toEqual(close([5.5, 8.5, -0.5]));
    expect(r2.state.steps).toBe(2);
  });

  it("'fedadam' passes β₁, β₂, τ and η through (same values as the hand-computed fedadam test)", () => {
    const p = { learningRate: 1, beta1: 0.5, beta2: 0.5, tau: 1 };
    let w: Float32Array = f32(0, 0, 0);
    let s: ServerOptimizerState | undefined;
    for (const d of deltas) ({ weights: w, state: s } = applyServerOptimizer('fedadam', p, w, d, s));
    expect(Array.from(w)).toEqual(close([0.8125, 0.7708333, -0.0517767]));
  });

  it('treats parameters given as undefined as defaults', () => {
    // An undefined that overrode the default would make β NaN and the step refuse it.
    const p = { momentum: undefined, learningRate: undefined };
    const a = applyServerOptimizer('fedavgm', p, f32(0), f32(1), undefined);
    const b = applyServerOptimizer('fedavgm', p, a.weights, f32(1), a.state);
    // Defaults η = 1, β = 0.9: v2 = 0.9 + 1 = 1.9, w2 = 1 + 1.9
    expect(b.weights[0]).toBeCloseTo(2.9, 6);
  });

  it.each<ServerOptimizerKind>(['none', 'fedavgm', 'fedadam'])(
    '%s resumes bit-identically from encoded state, as after an aggregator restart',
    (kind) => {
      const p = { learningRate: 0.3, momentum: 0.7, beta1: 0.8, beta2: 0.95, tau: 0.01 };
      let straight: Float32Array = f32(0.1, -0.2, 0.3);
      let resumed = straight;
      let s1: ServerOptimizerState | undefined;
      let stored: Buffer | undefined;
      for (const d of deltas) {
        ({ weights: straight, state: s1 } = applyServerOptimizer(kind, p, straight, d, s1));
        const prior = stored ? decodeOptimizerState(stored) : undefined;
        const r = applyServerOptimizer(kind, p, resumed, d, prior);
        resumed = r.weights;
        stored = encodeOptimizerState(r.state);
      }
      expect(resumed).toEqual(straight);
      expect(decodeOptimizerState(stored!)).toEqual(s1);
    },
  );

  it('refuses state saved by a different optimiser and an unknown kind', () => {
    const { state } = applyServerOptimizer('fedavgm', {}, f32(0), f32(1), undefined);
    let caught: unknown;
    try {
      applyServerOptimizer('fedadam', {}, f32(0), f32(1), state);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(AggregationError);
    expect((caught as AggregationError).code).toBe('STATE_MISMATCH');
    expect(() => applyServerOptimizer('sgd' as ServerOptimizerKind, {}, f32(0), f32(1), undefined)).toThrow(
      "unknown server optimiser 'sgd'",
    );
  });
});

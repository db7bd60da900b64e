import { AggregationError } from './errors.js';
import { decodeOptimizerState, encodeOptimizerState } from './optimizer-state-codec.js';
import type { ServerOptimizerState } from './server-optimizer.js';

describe('optimiser state encoding', () => {
  const states: ServerOptimizerState[] = [
    { kind: 'none', steps: 3 },
    { kind: 'fedavgm', steps: 1, velocity: Float32Array.from([0.5, -1.25, 3e-8]) },
    { kind: 'fedadam', steps: 42, m: Float32Array.from([1, -2]), v: Float32Array.from([1e-6, 4]) },
  ];

  it.each(states)('round-trips $kind state exactly', (state) => {
    expect(decodeOptimizerState(encodeOptimizerState(state))).toEqual(state);
  });

  it('has the documented little-endian layout', () => {
    const bytes = encodeOptimizerState({ kind: 'fedavgm', steps: 2, velocity: Float32Array.from([1]) });
    // "COPT", version 1, kind 1, two zero bytes, steps 2, P 1, then 1.0f = 0x3f800000 little-endian.
    expect(bytes.toString('hex')).toBe(
      '434f5054' + '01' + '01' + '0000' + '02000000' + '01000000' + '0000803f',
    );
  });

  it('decodes from an unaligned view, as a bytea slice can be', () => {
    const state: ServerOptimizerState = {
      kind: 'fedadam',
      steps: 1,
      m: Float32Array.from([2]),
      v: Float32Array.from([3]),
    };
    const padded = Buffer.concat([Buffer.from([0xff]), encodeOptimizerState(state)]);
    expect(decodeOptimizerState(padded.subarray(1))).toEqual(state);
  });

  it('refuses foreign, truncated or corrupt bytes', () => {
    const good = encodeOptimizerState(states[1]);
    const bad = [Buffer.from('not state at all'), good.subarray(0, good.length - 1)];
    const nan = Buffer.from(good);
    nan.writeFloatLE(NaN, 16);
    bad.push(nan);
    for (const b of bad) {
      expect(() => decodeOptimizerState(b)).toThrow(AggregationError);
      expect(() => decodeOptimizerState(b)).toThrow(/server optimiser state/);
    }
  });
});

import { WeightsEncoding, packFloat32 } from '@cohort/protocol';
import { createRandom } from '@cohort/model';
import { decodeUpdate, encodedLength, encodeUpdate, encodingName, weightsEncodingOf } from './encoding.js';

const E = WeightsEncoding;

describe('update encodings', () => {
  it('sizes each encoding within the wire budget', () => {
    const p = 1_000_000;
    expect(encodedLength(E.WEIGHTS_ENCODING_FLOAT32, p)).toBe(4 * p);
    expect(encodedLength(E.WEIGHTS_ENCODING_FLOAT16, p)).toBe(2 * p);
    expect(encodedLength(E.WEIGHTS_ENCODING_INT8_STOCHASTIC, p)).toBeLessThanOrEqual(1.02 * p);
    expect(() => encodedLength(E.WEIGHTS_ENCODING_UNSPECIFIED, p)).toThrow(
      /not one of: float32, float16, int8/,
    );
  });

  it('round-trips each encoding at its own precision', () => {
    const values = new Float32Array([0.25, -1.5, 3e-3, 0, 7]);
    const random = createRandom(1);
    const f32 = encodeUpdate(values, E.WEIGHTS_ENCODING_FLOAT32, random);
    expect(Buffer.from(f32).equals(packFloat32(values))).toBe(true);
    expect(decodeUpdate(f32, E.WEIGHTS_ENCODING_FLOAT32, 5)).toEqual(values);
    const f16 = decodeUpdate(
      encodeUpdate(values, E.WEIGHTS_ENCODING_FLOAT16, random),
      E.WEIGHTS_ENCODING_FLOAT16,
      5,
    );
    for (let i = 0; i < 5; i++)
      expect(Math.abs(f16[i] - values[i])).toBeLessThanOrEqual(Math.abs(values[i]) * 2 ** -11);
    const i8 = decodeUpdate(
      encodeUpdate(values, E.WEIGHTS_ENCODING_INT8_STOCHASTIC, random),
      E.WEIGHTS_ENCODING_INT8_STOCHASTIC,
      5,
    );
    for (let i = 0; i < 5; i++) expect(Math.abs(i8[i] - values[i])).toBeLessThanOrEqual(7 / 127 + 1e-6);
  });

  it('refuses a payload of the wrong length, naming the encoding and both sizes', () => {
    expect(() => decodeUpdate(new Uint8Array(12), E.WEIGHTS_ENCODING_FLOAT32, 4)).toThrow(
      'a float32 update of 4 parameters has 16 bytes, got 12',
    );
    expect(() => decodeUpdate(new Uint8Array(16), E.WEIGHTS_ENCODING_FLOAT16, 4)).toThrow(
      'a float16 update of 4 parameters has 8 bytes, got 16',
    );
    expect(() => decodeUpdate(new Uint8Array(4), E.WEIGHTS_ENCODING_INT8_STOCHASTIC, 4)).toThrow(
      'a int8 update of 4 parameters has 8 bytes, got 4',
    );
  });

  it('maps job-spec names to protocol encodings', () => {
    expect(weightsEncodingOf(undefined)).toBe(E.WEIGHTS_ENCODING_FLOAT32);
    expect(weightsEncodingOf('')).toBe(E.WEIGHTS_ENCODING_FLOAT32);
    expect(weightsEncodingOf('float16')).toBe(E.WEIGHTS_ENCODING_FLOAT16);
    expect(weightsEncodingOf('int8')).toBe(E.WEIGHTS_ENCODING_INT8_STOCHASTIC);
    expect(() => weightsEncodingOf('bf16')).toThrow(/unknown wire encoding "bf16"/);
    expect(encodingName(E.WEIGHTS_ENCODING_INT8_STOCHASTIC)).toBe('int8');
    expect(encodingName(E.WEIGHTS_ENCODING_UNSPECIFIED)).toBe('WEIGHTS_ENCODING_UNSPECIFIED');
  });
});

// How an update's values become the bytes a silo seals, per the job's wire encoding (float32, IEEE 754 binary16,
// or QSGD-style 8-bit stochastic rounding, Alistarh et al. 2017); the one place sizes per encoding are defined.
import { WeightsEncoding, packFloat32, unpackFloat32 } from '@cohort/protocol';
import type { Random } from '@cohort/model';
import { QuantizationError } from './errors.js';
import { decodeFloat16, encodeFloat16 } from './float16.js';
import { decodeInt8Stochastic, encodeInt8Stochastic, int8EncodedLength } from './int8-stochastic.js';

/** The names a job spec uses (`"wire": { "encoding": … }`). */
export const WIRE_ENCODINGS = ['float32', 'float16', 'int8'] as const;
export type WireEncoding = (typeof WIRE_ENCODINGS)[number];

const BY_NAME: Readonly<Record<WireEncoding, WeightsEncoding>> = {
  float32: WeightsEncoding.WEIGHTS_ENCODING_FLOAT32,
  float16: WeightsEncoding.WEIGHTS_ENCODING_FLOAT16,
  int8: WeightsEncoding.WEIGHTS_ENCODING_INT8_STOCHASTIC,
};

/** The protocol encoding of a job's wire setting; absent or empty (a spec stored before the setting) is float32. */
export function weightsEncodingOf(name: string | undefined): WeightsEncoding {
  if (name === undefined || name === '') return WeightsEncoding.WEIGHTS_ENCODING_FLOAT32;
  const encoding = (BY_NAME as Readonly<Record<string, WeightsEncoding>>)[name];
  if (encoding === undefined) {
    throw new QuantizationError(
      'UNSUPPORTED_ENCODING',
      `unknown wire encoding ${JSON.stringify(name)}; this version supports: ${WIRE_ENCODINGS.join(', ')}`,
    );
  }
  return encoding;
}

/** A short name for messages: "float16", or the enum's own name for one without a job-spec spelling. */
export function encodingName(encoding: WeightsEncoding): string {
  const entry = Object.entries(BY_NAME).find(([, e]) => e === encoding);
  return entry ? entry[0] : (WeightsEncoding[encoding] ?? String(encoding));
}

function unsupported(encoding: WeightsEncoding): QuantizationError {
  return new QuantizationError(
    'UNSUPPORTED_ENCODING',
    `encoding ${encodingName(encoding)} is not one of: ${WIRE_ENCODINGS.join(', ')}`,
  );
}

/** The plaintext size of an update of parameterCount values in this encoding. */
export function encodedLength(encoding: WeightsEncoding, parameterCount: number): number {
  if (!Number.isSafeInteger(parameterCount) || parameterCount < 0) {
    throw new RangeError(`parameter count must be a non-negative integer, got ${parameterCount}`);
  }
  switch (encoding) {
    case WeightsEncoding.WEIGHTS_ENCODING_FLOAT32:
      return 4 * parameterCount;
    case WeightsEncoding.WEIGHTS_ENCODING_FLOAT16:
      return 2 * parameterCount;
    case WeightsEncoding.WEIGHTS_ENCODING_INT8_STOCHASTIC:
      return int8EncodedLength(parameterCount);
    default:
      throw unsupported(encoding);
  }
}

/** Packs an update; `random` drives int8's stochastic rounding only (the other encodings are deterministic). */
export function encodeUpdate(values: Float32Array, encoding: WeightsEncoding, random: Random): Uint8Array {
  switch (encoding) {
    case WeightsEncoding.WEIGHTS_ENCODING_FLOAT32:
      return packFloat32(values);
    case WeightsEncoding.WEIGHTS_ENCODING_FLOAT16:
      return encodeFloat16(values);
    case WeightsEncoding.WEIGHTS_ENCODING_INT8_STOCHASTIC:
      return encodeInt8Stochastic(values, random);
    default:
      throw unsupported(encoding);
  }
}

/** Unpacks an update of parameterCount values; any other length is refused before a value is read. */
export function decodeUpdate(
  bytes: Uint8Array,
  encoding: WeightsEncoding,
  parameterCount: number,
): Float32Array {
  const expected = encodedLength(encoding, parameterCount);
  if (bytes.byteLength !== expected) {
    throw new QuantizationError(
      'LENGTH_MISMATCH',
      `a ${encodingName(encoding)} update of ${parameterCount} parameters has ${expected} bytes, got ${bytes.byteLength}`,
    );
  }
  switch (encoding) {
    case WeightsEncoding.WEIGHTS_ENCODING_FLOAT32:
      return unpackFloat32(bytes);
    case WeightsEncoding.WEIGHTS_ENCODING_FLOAT16:
      return decodeFloat16(bytes);
    case WeightsEncoding.WEIGHTS_ENCODING_INT8_STOCHASTIC:
      return decodeInt8Stochastic(bytes, parameterCount);
    default:
      throw unsupported(encoding);
  }
}

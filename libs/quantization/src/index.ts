export * from './errors.js';
export { toFloat16Bits, fromFloat16Bits, encodeFloat16, decodeFloat16 } from './float16.js';
export {
  INT8_BLOCK,
  int8EncodedLength,
  encodeInt8Stochastic,
  decodeInt8Stochastic,
} from './int8-stochastic.js';
export {
  WIRE_ENCODINGS,
  type WireEncoding,
  weightsEncodingOf,
  encodingName,
  encodedLength,
  encodeUpdate,
  decodeUpdate,
} from './encoding.js';

export * from './errors.js';
export { X25519_KEY_BYTES, agree, generateKeyPair, publicKeyOf, type RawKeyPair } from './key-agreement.js';
export { addMask, deriveSeed } from './prg.js';
export { FIELD_PRIME, MAX_SECRET_BYTES, SHARE_BYTES, combine, split, type Share } from './shamir.js';
export {
  MAX_BITS,
  MIN_BITS,
  dequantize,
  quantizationScale,
  quantizeInto,
  reduce,
  type QuantizationParams,
} from './quantize.js';
export { logFactorial, samplePoisson } from './poisson.js';
export { SKELLAM_TAIL, addSkellamNoise, cryptoUniform, skellamBound } from './skellam.js';
export { neighbourhoods, secAggPlusDegree } from './graph.js';
export * from './messages.js';
export { minimumSurvivors, topology, type Topology } from './topology.js';
export { SecAggClient } from './client.js';
export { SecAggServer } from './server.js';
export {
  planDistributedDp,
  survivorsNoise,
  type DistributedDpPlan,
  type DistributedDpRequest,
} from './distributed-dp.js';
export { decodeSum, encodeInput, type InputCodec } from './input-codec.js';
export * from './wire.js';

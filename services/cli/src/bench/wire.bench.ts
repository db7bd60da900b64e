import { parsePositiveInt } from '../output.js';
import { medianMs, round3 as round } from './measure.js';
import type { BenchSuite } from './suite.js';

/**
 * Bytes per update on the wire in each encoding at a model size, and the time to encode and decode. "wireBytes"
 * is the sealed payload plus each data chunk's gRPC (5 bytes) and protobuf (tag, length) framing; the header
 * chunk (a few hundred bytes, the same for every encoding) is left out.
 */
async function benchWire(parameters: number): Promise<Record<string, unknown>> {
  const { MAX_CHUNK_BYTES, chunkBytes, WeightsEncoding } = await import('@cohort/protocol');
  const { createRandom } = await import('@cohort/model');
  const { decodeUpdate, encodeUpdate, encodedLength } = await import('@cohort/quantization');
  const { sealedLength } = await import('@cohort/sealing');
  const varintBytes = (n: number): number => Math.max(1, Math.ceil(Math.log2(n + 1) / 7));
  const random = createRandom(1);
  // An update of a trained model's scale: small, of mixed sign and magnitude.
  const update = new Float32Array(parameters).map((_, i) => 0.01 * Math.sin(i) * (1 + (i % 7)));
  const encodings = {
    float32: WeightsEncoding.WEIGHTS_ENCODING_FLOAT32,
    float16: WeightsEncoding.WEIGHTS_ENCODING_FLOAT16,
    int8: WeightsEncoding.WEIGHTS_ENCODING_INT8_STOCHASTIC,
  };
  const figures: Record<string, unknown> = {};
  for (const [name, encoding] of Object.entries(encodings)) {
    const encoded = encodeUpdate(update, encoding, random);
    const encodeMs = await medianMs(5, () => Promise.resolve(encodeUpdate(update, encoding, random)));
    const decodeMs = await medianMs(5, () => Promise.resolve(decodeUpdate(encoded, encoding, parameters)));
    const decoded = decodeUpdate(encoded, encoding, parameters);
    let maxError = 0;
    for (let i = 0; i < parameters; i++) maxError = Math.max(maxError, Math.abs(decoded[i] - update[i]));
    const sealed = sealedLength(encodedLength(encoding, parameters));
    const chunks = chunkBytes(new Uint8Array(sealed));
    const wireBytes = chunks.reduce((sum, c) => sum + 5 + 1 + varintBytes(c.byteLength) + c.byteLength, 0);
    figures[name] = {
      plaintextBytes: encoded.byteLength,
      sealedBytes: sealed,
      wireBytes,
      chunks: chunks.length,
      ratioTo4P: round(wireBytes / (4 * parameters)),
      ratioToP: round(wireBytes / parameters),
      encodeMs: round(encodeMs),
      decodeMs: round(decodeMs),
      maxAbsError: maxError,
    };
  }
  return {
    suite: 'wire',
    parameters,
    maxChunkBytes: MAX_CHUNK_BYTES,
    encodings: figures,
    targets: { float32RatioTo4P: 1.02, int8RatioToP: 1.02 },
  };
}

export const suite: BenchSuite = {
  description: 'bytes on the wire per update in each encoding, encode and decode time',
  options: [
    {
      flags: '--parameters <n>',
      description: 'model size in parameters',
      parse: parsePositiveInt('--parameters'),
      default: 1_000_000,
    },
  ],
  run: (o) => benchWire(o.parameters as number),
};

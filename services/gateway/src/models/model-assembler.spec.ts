import {
  WeightsEncoding,
  chunkBytes,
  packFloat32,
  sha256,
  type ModelChunk,
  type ModelHeader,
} from '@cohort/protocol';
import { GatewayException } from '../common/gateway.exception.js';
import { ModelAssembler } from './model-assembler.js';

const weights = Float32Array.from([0.5, -1, 2, 3.25, 0, 1e-3, 7]);
const bytes = packFloat32(weights);

function header(patch: Partial<ModelHeader> = {}): ModelChunk {
  return {
    header: {
      privacy: undefined,
      jobId: 'j1',
      round: 4,
      model: { template: 'logreg', hiddenUnits: [] },
      layout: [
        { name: 'dense_0/kernel', shape: [6, 1] },
        { name: 'dense_0/bias', shape: [1] },
      ],
      encoding: WeightsEncoding.WEIGHTS_ENCODING_FLOAT32,
      totalBytes: bytes.byteLength,
      sha256: sha256(bytes),
      ...patch,
    },
  };
}

function assemble(chunks: ModelChunk[], maxBytes = 1 << 20) {
  const assembler = new ModelAssembler(maxBytes);
  for (const c of chunks) assembler.add(c);
  return assembler.finish();
}

function refusal(chunks: ModelChunk[], maxBytes?: number): string {
  try {
    assemble(chunks, maxBytes);
  } catch (err) {
    expect(err).toBeInstanceOf(GatewayException);
    expect((err as GatewayException).httpStatus).toBe(502);
    return (err as Error).message;
  }
  throw new Error('expected the model to be refused');
}

describe('ModelAssembler', () => {
  it('rebuilds the weights from chunks of any size and reads the input width from the first tensor', () => {
    for (const size of [1, 3, 4, 28, 1000]) {
      const model = assemble([header(), ...chunkBytes(bytes, size).map((data) => ({ data }))]);
      expect(Array.from(model.weights)).toEqual(Array.from(weights));
      expect(model).toMatchObject({ jobId: 'j1', round: 4, inputDim: 6, spec: { template: 'logreg' } });
      expect(model.sha256Hex).toBe(sha256(bytes).toString('hex'));
    }
  });

  it('accepts a header without a digest and the unspecified (float32) encoding', () => {
    const model = assemble([
      header({ sha256: new Uint8Array(0), encoding: WeightsEncoding.WEIGHTS_ENCODING_UNSPECIFIED }),
      { data: bytes },
    ]);
    expect(model.weights).toHaveLength(7);
  });

  it.each<[string, ModelChunk[], RegExp]>([
    ['no chunks', [], /without a header/],
    ['data first', [{ data: bytes }, header()], /before the header/],
    ['two headers', [header(), header()], /second header/],
    ['too few bytes', [header(), { data: bytes.subarray(0, 8) }], /8 of the announced 28 bytes/],
    [
      'too many bytes',
      [header(), { data: bytes }, { data: bytes.subarray(0, 4) }],
      /more than the announced/,
    ],
    ['a wrong digest', [header({ sha256: new Uint8Array(32) }), { data: bytes }], /SHA-256/],
    [
      'a size that disagrees with the layout',
      [header({ totalBytes: 24 }), { data: bytes }],
      /layout holds 28/,
    ],
    [
      'float16 weights',
      [header({ encoding: WeightsEncoding.WEIGHTS_ENCODING_FLOAT16 }), { data: bytes }],
      /not float32/,
    ],
    ['no model spec', [header({ model: undefined }), { data: bytes }], /names no model/],
    ['an empty layout', [header({ layout: [], totalBytes: 0 }), { data: bytes }], /empty layout/],
    [
      'a zero dimension',
      [header({ layout: [{ name: 'k', shape: [0, 1] }] }), { data: bytes }],
      /shape \[0, 1\]/,
    ],
  ])('refuses %s', (_what, chunks, message) => {
    expect(refusal(chunks)).toMatch(message);
  });

  it('refuses a model above the size limit before allocating it', () => {
    expect(refusal([header(), { data: bytes }], 16)).toMatch(/above the gateway's limit of 16/);
  });
});

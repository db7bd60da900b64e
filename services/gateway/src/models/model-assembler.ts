import { Buffer } from 'node:buffer';
import {
  WeightsEncoding,
  sha256,
  unpackFloat32,
  type ModelChunk,
  type ModelHeader,
  type ModelSpec,
  type PrivacyStatement,
} from '@cohort/protocol';
import { GatewayErrorCode, GatewayException } from '../common/gateway.exception.js';

export interface AssembledModel {
  jobId: string;
  round: number;
  spec: ModelSpec;
  /** Features the first layer reads: the first dimension of the first tensor (the input kernel). */
  inputDim: number;
  weights: Float32Array;
  sha256Hex: string;
  /** A DP job's guarantee, travelling with the weights. */
  privacy: PrivacyStatement | undefined;
}

function invalid(message: string): GatewayException {
  return new GatewayException(
    GatewayErrorCode.MODEL_INVALID,
    `the aggregator sent an unusable model: ${message}`,
  );
}

/**
 * Rebuilds the weight vector from a DownloadModel stream (one header chunk, then data chunks) and checks it
 * against the header before anything is converted: size, layout, encoding and digest.
 */
export class ModelAssembler {
  private header: ModelHeader | undefined;
  private spec: ModelSpec | undefined;
  private buffer: Buffer | undefined;
  private received = 0;

  constructor(private readonly maxBytes: number) {}

  add(chunk: ModelChunk): void {
    if (chunk.header) {
      if (this.header) throw invalid('a second header arrived in the middle of the stream');
      this.accept(chunk.header);
      return;
    }
    if (!this.header || !this.buffer) throw invalid('data arrived before the header');
    const data = chunk.data ?? new Uint8Array(0);
    if (this.received + data.byteLength > this.buffer.byteLength) {
      throw invalid(`more than the announced ${this.buffer.byteLength} bytes arrived`);
    }
    this.buffer.set(data, this.received);
    this.received += data.byteLength;
  }

  finish(): AssembledModel {
    const header = this.header;
    if (!header || !this.buffer || !this.spec) throw invalid('the stream ended without a header');
    if (this.received !== this.buffer.byteLength) {
      throw invalid(`${this.received} of the announced ${this.buffer.byteLength} bytes arrived`);
    }
    const digest = sha256(this.buffer);
    if (header.sha256.byteLength > 0 && !digest.equals(Buffer.from(header.sha256))) {
      throw invalid('the weights do not match the SHA-256 digest in the header');
    }
    return {
      jobId: header.jobId,
      round: header.round,
      spec: this.spec,
      inputDim: header.layout[0].shape[0],
      weights: unpackFloat32(this.buffer),
      sha256Hex: digest.toString('hex'),
      privacy: header.privacy ?? undefined,
    };
  }

  private accept(header: ModelHeader): void {
    if (!header.model) throw invalid('the header names no model');
    if (
      header.encoding !== WeightsEncoding.WEIGHTS_ENCODING_FLOAT32 &&
      header.encoding !== WeightsEncoding.WEIGHTS_ENCODING_UNSPECIFIED
    ) {
      throw invalid(`weights encoding ${header.encoding} is not float32`);
    }
    if (header.layout.length === 0) throw invalid('the header has an empty layout');
    let parameters = 0;
    for (const tensor of header.layout) {
      if (tensor.shape.length === 0 || tensor.shape.some((d) => !Number.isInteger(d) || d < 1)) {
        throw invalid(`tensor ${tensor.name} has shape [${tensor.shape.join(', ')}]`);
      }
      parameters += tensor.shape.reduce((product, d) => product * d, 1);
    }
    const expected = parameters * 4;
    if (header.totalBytes !== expected) {
      throw invalid(`the header announces ${header.totalBytes} bytes but the layout holds ${expected}`);
    }
    if (expected > this.maxBytes) {
      throw invalid(
        `the model has ${expected} bytes of weights, above the gateway's limit of ${this.maxBytes}`,
      );
    }
    this.header = header;
    this.spec = header.model;
    // Allocated once from the announced size: chunks are copied in place instead of concatenated.
    this.buffer = Buffer.alloc(expected);
  }
}

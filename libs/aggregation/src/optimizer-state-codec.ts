// Server optimiser state as bytes, so the aggregator can keep it in a bytea column and resume after a restart (state of Reddi et al. 2021, Algorithm 2).
import { AggregationError } from './errors.js';
import type { ServerOptimizerKind, ServerOptimizerState } from './server-optimizer.js';

// Layout, little-endian: "COPT" | u8 version | u8 kind | u16 zero | u32 steps | u32 P | arrays of P float32.
const MAGIC = 0x54504f43; // "COPT" read as a little-endian u32
const VERSION = 1;
const HEADER_BYTES = 16;
const KIND_CODES: Record<ServerOptimizerKind, number> = { none: 0, fedavgm: 1, fedadam: 2 };
const ARRAY_COUNT: Record<ServerOptimizerKind, number> = { none: 0, fedavgm: 1, fedadam: 2 };
// Typed arrays use the host's byte order; on little-endian hosts (nearly all) the bytes copy as they are.
const littleEndianHost = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function arraysOf(state: ServerOptimizerState): Float32Array[] {
  switch (state.kind) {
    case 'none':
      return [];
    case 'fedavgm':
      return [state.velocity];
    case 'fedadam':
      return [state.m, state.v];
  }
}

/** Encodes the state; a copy, so the caller may keep using its arrays. */
export function encodeOptimizerState(state: ServerOptimizerState): Buffer {
  const kindCode = KIND_CODES[state.kind];
  if (kindCode === undefined) {
    throw new AggregationError('INVALID_PARAMETER', `unknown server optimiser '${String(state.kind)}'`);
  }
  if (!Number.isInteger(state.steps) || state.steps < 0 || state.steps > 0xffffffff) {
    throw new AggregationError(
      'INVALID_PARAMETER',
      `optimiser state steps must be a u32; got ${state.steps}`,
    );
  }
  const arrays = arraysOf(state);
  const length = arrays.length > 0 ? arrays[0].length : 0;
  for (const a of arrays) {
    if (a.length !== length) {
      throw new AggregationError(
        'LENGTH_MISMATCH',
        `optimiser state arrays have ${a.length} and ${length} values`,
      );
    }
  }
  const out = Buffer.alloc(HEADER_BYTES + arrays.length * length * 4);
  out.writeUInt32LE(MAGIC, 0);
  out.writeUInt8(VERSION, 4);
  out.writeUInt8(kindCode, 5);
  out.writeUInt32LE(state.steps, 8);
  out.writeUInt32LE(length, 12);
  let offset = HEADER_BYTES;
  for (const a of arrays) {
    if (littleEndianHost) {
      out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), offset);
      offset += a.byteLength;
    } else {
      for (let i = 0; i < a.length; i++, offset += 4) out.writeFloatLE(a[i], offset);
    }
  }
  return out;
}

function invalid(message: string): AggregationError {
  return new AggregationError('INVALID_STATE_ENCODING', `server optimiser state: ${message}`);
}

/** Decodes bytes from encodeOptimizerState, refusing anything truncated, foreign or non-finite. */
export function decodeOptimizerState(bytes: Uint8Array): ServerOptimizerState {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < HEADER_BYTES || buf.readUInt32LE(0) !== MAGIC)
    throw invalid('not an encoded optimiser state');
  const version = buf.readUInt8(4);
  if (version !== VERSION) throw invalid(`format version ${version} is not supported (expected ${VERSION})`);
  const kind = (Object.keys(KIND_CODES) as ServerOptimizerKind[]).find(
    (k) => KIND_CODES[k] === buf.readUInt8(5),
  );
  if (kind === undefined) throw invalid(`unknown optimiser code ${buf.readUInt8(5)}`);
  const steps = buf.readUInt32LE(8);
  const length = buf.readUInt32LE(12);
  const expected = HEADER_BYTES + ARRAY_COUNT[kind] * length * 4;
  if (buf.length !== expected)
    throw invalid(`${buf.length} bytes, expected ${expected} for ${kind} with ${length} values`);
  const arrays: Float32Array[] = [];
  let offset = HEADER_BYTES;
  for (let k = 0; k < ARRAY_COUNT[kind]; k++) {
    const a = new Float32Array(length);
    if (littleEndianHost) {
      // A copy, not a view: the bytes may sit at an offset that is not a multiple of 4.
      new Uint8Array(a.buffer).set(buf.subarray(offset, offset + length * 4));
    } else {
      for (let i = 0; i < length; i++) a[i] = buf.readFloatLE(offset + i * 4);
    }
    offset += length * 4;
    for (let i = 0; i < length; i++) {
      if (!Number.isFinite(a[i])) throw invalid(`non-finite value at array ${k}, index ${i}`);
    }
    arrays.push(a);
  }
  switch (kind) {
    case 'none':
      return { kind, steps };
    case 'fedavgm':
      return { kind, steps, velocity: arrays[0] };
    case 'fedadam':
      return { kind, steps, m: arrays[0], v: arrays[1] };
  }
}

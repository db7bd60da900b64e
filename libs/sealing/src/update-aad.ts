// The AAD that binds a sealed update to its header. It must be byte-identical at the silo and in the enclave,
// and two different headers must never encode to the same bytes, hence: a domain tag, then every field
// length-prefixed (u32 big-endian) or fixed-width, in a fixed order.
import { SealingError } from './errors.js';

export interface UpdateAadFields {
  readonly jobId: string;
  readonly round: number;
  readonly siloId: string;
  /** The plaintext's wire encoding; bound only when it is not float32, so float32 AADs are unchanged. */
  readonly wireEncoding?: string;
}

const DOMAIN = 'cohort/v1/update-aad';

export function updateAad({ jobId, round, siloId, wireEncoding }: UpdateAadFields): Buffer {
  if (!Number.isSafeInteger(round) || round < 0) {
    throw new SealingError('AAD_INVALID', `round must be a non-negative integer, got ${String(round)}`);
  }
  const roundBytes = Buffer.alloc(8);
  roundBytes.writeBigUInt64BE(BigInt(round));
  return Buffer.concat([
    lengthPrefixed(utf8('domain', DOMAIN)),
    lengthPrefixed(utf8('jobId', jobId)),
    roundBytes,
    lengthPrefixed(utf8('siloId', siloId)),
    ...(wireEncoding === undefined || wireEncoding === 'float32'
      ? []
      : [lengthPrefixed(utf8('wireEncoding', wireEncoding))]),
  ]);
}

function utf8(field: string, value: string): Buffer {
  if (value.length === 0) throw new SealingError('AAD_INVALID', `${field} must not be empty`);
  const bytes = Buffer.from(value, 'utf8');
  // A lone surrogate encodes as U+FFFD, so two different strings could share one encoding; refuse them.
  if (bytes.toString('utf8') !== value) {
    throw new SealingError('AAD_INVALID', `${field} is not well-formed Unicode`);
  }
  return bytes;
}

function lengthPrefixed(bytes: Buffer): Buffer {
  const prefix = Buffer.alloc(4);
  prefix.writeUInt32BE(bytes.byteLength);
  return Buffer.concat([prefix, bytes]);
}

// The round's messages as the gRPC contract carries them (proto/cohort/v1/federation.proto, SecAgg*): one mapping each way, so neither side hand-writes a conversion.
import type {
  SecAggKeys as ProtoKeys,
  SecAggRoundConfig as ProtoConfig,
  SecAggSealedShares as ProtoSealed,
  SecAggShare as ProtoShare,
} from '@cohort/protocol';
import { SecAggError } from './errors.js';
import type { AdvertiseKeys, RoundConfig, SealedShares } from './messages.js';
import type { Share } from './shamir.js';

export function degreeToWire(degree: RoundConfig['degree']): string {
  return typeof degree === 'number' ? String(degree) : degree;
}

export function degreeFromWire(text: string): RoundConfig['degree'] {
  if (text === 'full' || text === 'secagg+') return text;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 2)
    throw new SecAggError('MALFORMED_MESSAGE', `unknown SecAgg degree ${JSON.stringify(text)}`);
  return n;
}

export function configFromWire(c: ProtoConfig): RoundConfig {
  return {
    roundId: c.roundId,
    bits: c.bits,
    length: c.length,
    degree: degreeFromWire(c.degree),
    thresholdFraction: c.threshold,
    participants: [...c.participants],
  };
}

export function keysToWire(k: AdvertiseKeys): ProtoKeys {
  return { siloId: k.silo, encryptionKey: k.encryptionKey, maskingKey: k.maskingKey };
}

export function keysFromWire(k: ProtoKeys): AdvertiseKeys {
  return {
    silo: k.siloId,
    encryptionKey: new Uint8Array(k.encryptionKey),
    maskingKey: new Uint8Array(k.maskingKey),
  };
}

export function sealedToWire(s: SealedShares): ProtoSealed {
  return {
    fromSilo: s.from,
    toSilo: s.to,
    ciphertext: s.ciphertext,
    maskingKeyCommitment: s.commitments.maskingKey,
    selfMaskCommitment: s.commitments.selfMask,
  };
}

export function sealedFromWire(s: ProtoSealed): SealedShares {
  return {
    from: s.fromSilo,
    to: s.toSilo,
    ciphertext: new Uint8Array(s.ciphertext),
    commitments: {
      maskingKey: new Uint8Array(s.maskingKeyCommitment),
      selfMask: new Uint8Array(s.selfMaskCommitment),
    },
  };
}

export function shareToWire(of: string, share: Share): ProtoShare {
  return { ofSilo: of, x: share.x, y: share.y };
}

export function shareFromWire(s: ProtoShare): { of: string; share: Share } {
  return { of: s.ofSilo, share: { x: s.x, y: new Uint8Array(s.y) } };
}

/** A masked vector as little-endian uint32 words, and back (its length checked against the round's). */
export function wordsToBytes(words: Uint32Array): Uint8Array {
  const out = new Uint8Array(words.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < words.length; i++) view.setUint32(4 * i, words[i], true);
  return out;
}

export function wordsFromBytes(bytes: Uint8Array, length: number): Uint32Array {
  if (bytes.byteLength !== length * 4)
    throw new SecAggError(
      'MALFORMED_MESSAGE',
      `a masked input of ${length} words has ${length * 4} bytes, got ${bytes.byteLength}`,
    );
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Uint32Array(length);
  for (let i = 0; i < length; i++) out[i] = view.getUint32(4 * i, true);
  return out;
}

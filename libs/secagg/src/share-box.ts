// Shares travel through the server encrypted to their holder (AES-256-GCM, NIST SP 800-38D, under an X25519-agreed key) and committed to by SHA-256, as in Bonawitz et al. 2017 §4 ShareKeys.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { agree } from './key-agreement.js';
import { SHARE_BYTES, type Share } from './shamir.js';

const NONCE = 12;
const TAG = 16;

/** The two shares one holder keeps for one dealer: of its masking key and of its self-mask seed. */
export interface SharePair {
  maskingKey: Share;
  selfMask: Share;
}

function boxKey(ownPrivate: Uint8Array, peerPublic: Uint8Array, roundId: string): Uint8Array {
  return agree(ownPrivate, peerPublic, `cohort/secagg/v1/share-box\u0000${roundId}`);
}

function associated(roundId: string, from: string, to: string): Uint8Array {
  return new TextEncoder().encode(`${roundId}\u0000${from}\u0000${to}`);
}

export type ShareKind = 'maskingKey' | 'selfMask';

/**
 * SHA-256 over (round, dealer, holder, kind, point, value): one per share, because at unmasking a holder gives
 * back only one of its two shares of a dealer and the server must be able to check that one alone.
 */
export function commitShare(
  roundId: string,
  from: string,
  to: string,
  kind: ShareKind,
  share: Share,
): Uint8Array {
  return new Uint8Array(
    createHash('sha256')
      .update(associated(roundId, from, to))
      .update(`\u0000${kind}\u0000${share.x}\u0000`)
      .update(share.y)
      .digest(),
  );
}

/** A commitment to a silo's self-mask seed: how a rebuilt seed is known to be the one the silo masked with. */
export function commitSelfMask(roundId: string, silo: string, seed: Uint8Array): Uint8Array {
  return new Uint8Array(
    createHash('sha256')
      .update(`cohort/secagg/v1/self-mask-commitment\u0000${roundId}\u0000${silo}`)
      .update(seed)
      .digest(),
  );
}

export function sealShares(
  roundId: string,
  from: string,
  to: string,
  ownPrivate: Uint8Array,
  peerPublic: Uint8Array,
  pair: SharePair,
): Uint8Array {
  const nonce = randomBytes(NONCE);
  const cipher = createCipheriv('aes-256-gcm', boxKey(ownPrivate, peerPublic, roundId), nonce);
  cipher.setAAD(associated(roundId, from, to));
  const body = Buffer.concat([
    Buffer.from([pair.maskingKey.x >> 8, pair.maskingKey.x & 0xff]),
    pair.maskingKey.y,
    pair.selfMask.y,
  ]);
  return new Uint8Array(Buffer.concat([nonce, cipher.update(body), cipher.final(), cipher.getAuthTag()]));
}

/** The pair, or undefined when the ciphertext does not open (wrong key, altered, or not for this holder). */
export function openShares(
  roundId: string,
  from: string,
  to: string,
  ownPrivate: Uint8Array,
  peerPublic: Uint8Array,
  sealed: Uint8Array,
): SharePair | undefined {
  if (sealed.byteLength !== NONCE + 2 + 2 * SHARE_BYTES + TAG) return undefined;
  try {
    const decipher = createDecipheriv(
      'aes-256-gcm',
      boxKey(ownPrivate, peerPublic, roundId),
      sealed.subarray(0, NONCE),
    );
    decipher.setAAD(associated(roundId, from, to));
    decipher.setAuthTag(sealed.subarray(sealed.byteLength - TAG));
    const body = Buffer.concat([
      decipher.update(sealed.subarray(NONCE, sealed.byteLength - TAG)),
      decipher.final(),
    ]);
    const x = (body[0] << 8) | body[1];
    return {
      maskingKey: { x, y: new Uint8Array(body.subarray(2, 2 + SHARE_BYTES)) },
      selfMask: { x, y: new Uint8Array(body.subarray(2 + SHARE_BYTES)) },
    };
  } catch {
    return undefined;
  }
}

// RFC 9180 §4 LabeledExtract / LabeledExpand over HKDF-SHA256 (RFC 5869 §2.2–2.3), computed with node's
// synchronous HMAC so no step of a seal or open waits for libuv's thread pool.
import { createHmac } from 'node:crypto';

/** Nh for HKDF-SHA256. */
export const HASH_LENGTH = 32;

const VERSION_LABEL = Buffer.from('HPKE-v1', 'latin1');
// RFC 5869 §2.2: an absent salt is a string of Nh zeros (HMAC would pad an empty key to the same block).
const ZERO_SALT = Buffer.alloc(HASH_LENGTH);

/** `suite_id` for the KEM's own derivations (RFC 9180 §4.1): "KEM" ‖ I2OSP(kem_id, 2). */
export function kemSuiteId(kemId: number): Buffer {
  return Buffer.concat([Buffer.from('KEM', 'latin1'), i2osp(kemId, 2)]);
}

/** `suite_id` for the key schedule (RFC 9180 §5.1): "HPKE" ‖ I2OSP(kem_id, 2) ‖ I2OSP(kdf_id, 2) ‖ I2OSP(aead_id, 2). */
export function hpkeSuiteId(kemId: number, kdfId: number, aeadId: number): Buffer {
  return Buffer.concat([Buffer.from('HPKE', 'latin1'), i2osp(kemId, 2), i2osp(kdfId, 2), i2osp(aeadId, 2)]);
}

/** Extract(salt, "HPKE-v1" ‖ suite_id ‖ label ‖ ikm). */
export function labeledExtract(
  suiteId: Uint8Array,
  salt: Uint8Array,
  label: string,
  ikm: Uint8Array,
): Buffer {
  return createHmac('sha256', salt.byteLength === 0 ? ZERO_SALT : salt)
    .update(VERSION_LABEL)
    .update(suiteId)
    .update(label, 'latin1')
    .update(ikm)
    .digest();
}

/** Expand(prk, I2OSP(L, 2) ‖ "HPKE-v1" ‖ suite_id ‖ label ‖ info, L). */
export function labeledExpand(
  suiteId: Uint8Array,
  prk: Uint8Array,
  label: string,
  info: Uint8Array,
  length: number,
): Buffer {
  // RFC 9180 §4: L is sent as two bytes, and HKDF-Expand stops at 255 blocks.
  if (!Number.isInteger(length) || length <= 0 || length > Math.min(0xffff, 255 * HASH_LENGTH)) {
    throw new RangeError(`HKDF-Expand cannot produce ${length} bytes`);
  }
  const labeledInfo = Buffer.concat([
    i2osp(length, 2),
    VERSION_LABEL,
    suiteId,
    Buffer.from(label, 'latin1'),
    info,
  ]);
  const blocks = Buffer.alloc(Math.ceil(length / HASH_LENGTH) * HASH_LENGTH);
  let previous: Buffer = Buffer.alloc(0);
  for (let offset = 0, counter = 1; offset < length; offset += HASH_LENGTH, counter++) {
    const next = createHmac('sha256', prk)
      .update(previous)
      .update(labeledInfo)
      .update(Uint8Array.of(counter))
      .digest();
    previous.fill(0);
    previous = next;
    previous.copy(blocks, offset);
  }
  // Exactly L bytes of their own, so wiping the result wipes every derived byte the caller holds.
  const okm = Buffer.alloc(length);
  blocks.copy(okm, 0, 0, length);
  blocks.fill(0);
  previous.fill(0);
  return okm;
}

/** RFC 8017 §4.1 I2OSP for the small lengths and identifiers RFC 9180 encodes. */
function i2osp(value: number, length: number): Buffer {
  const out = Buffer.alloc(length);
  out.writeUIntBE(value, 0, length);
  return out;
}

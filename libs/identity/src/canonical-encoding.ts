// The unambiguous byte encoding every signed statement is hashed from. Each statement is
//
//   SHA-256( field(tag) ‖ item ‖ item ‖ … )
//
// where field(b) = u32be(len(b)) ‖ b, strings are their UTF-8 bytes (exactly as given: no trimming, no Unicode
// normalisation), integers are fixed-width big-endian (u32 for rounds, u64 for times) and booleans one byte
// (0x00 or 0x01). Length prefixes make the split between fields unique, so no two different claim sets encode
// to the same bytes; the leading tag ("cohort/v1/update", "cohort/v1/decision", "cohort/v1/receipt") makes a
// signature over one kind of statement useless as any other kind.
import { createHash } from 'node:crypto';
import { isBytes } from './realm-checks.js';
import { IdentityError } from './identity-error.js';

const U32_MAX = 0xffff_ffff;

export class CanonicalEncoder {
  private readonly parts: Buffer[] = [];

  constructor(tag: string) {
    this.text('tag', tag);
  }

  /** A UTF-8 string; `allowEmpty` for free text such as a decision's reason. */
  text(name: string, value: string, options: { allowEmpty?: boolean } = {}): this {
    if (typeof value !== 'string') throw invalid(name, `must be a string, got ${typeof value}`);
    if (value === '' && !options.allowEmpty) throw invalid(name, 'must not be empty');
    const bytes = Buffer.from(value, 'utf8');
    // A lone UTF-16 surrogate becomes U+FFFD in UTF-8, so two different strings would sign as one.
    if (bytes.toString('utf8') !== value) throw invalid(name, 'is not well-formed Unicode (lone surrogate)');
    return this.field(bytes);
  }

  /** Opaque bytes whose length must lie in [min, max]. */
  bytes(name: string, value: Uint8Array, length: { min: number; max: number }): this {
    if (!isBytes(value)) throw invalid(name, `must be bytes, got ${typeof value}`);
    if (value.byteLength < length.min || value.byteLength > length.max) {
      const expected = length.min === length.max ? `${length.min}` : `${length.min} to ${length.max}`;
      throw invalid(name, `must be ${expected} bytes, got ${value.byteLength}`);
    }
    return this.field(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
  }

  u32(name: string, value: number): this {
    if (!Number.isInteger(value) || value < 0 || value > U32_MAX) {
      throw invalid(name, `must be an integer from 0 to ${U32_MAX}, got ${String(value)}`);
    }
    const out = Buffer.allocUnsafe(4);
    out.writeUInt32BE(value);
    this.parts.push(out);
    return this;
  }

  u64(name: string, value: number): this {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw invalid(name, `must be a non-negative safe integer, got ${String(value)}`);
    }
    const out = Buffer.allocUnsafe(8);
    out.writeBigUInt64BE(BigInt(value));
    this.parts.push(out);
    return this;
  }

  bool(name: string, value: boolean): this {
    if (typeof value !== 'boolean') throw invalid(name, `must be a boolean, got ${typeof value}`);
    this.parts.push(Buffer.of(value ? 1 : 0));
    return this;
  }

  /** The SHA-256 of everything encoded so far. */
  digest(): Buffer {
    const hash = createHash('sha256');
    for (const part of this.parts) hash.update(part);
    return hash.digest();
  }

  private field(bytes: Buffer): this {
    const length = Buffer.allocUnsafe(4);
    length.writeUInt32BE(bytes.byteLength);
    this.parts.push(length, bytes);
    return this;
  }
}

function invalid(name: string, problem: string): IdentityError {
  return new IdentityError('CLAIMS_INVALID', `${name} ${problem}`);
}

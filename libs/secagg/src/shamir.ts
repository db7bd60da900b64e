// Shamir's t-of-n secret sharing (Shamir 1979) over the prime field GF(2^521 − 1), as Bonawitz et al. 2017 §3 share mask seeds and keys.
import { randomBytes } from 'node:crypto';
import { SecAggError } from './errors.js';

/** The Mersenne prime 2^521 − 1: above every 32-byte secret, and reduction is a shift and an add. */
export const FIELD_PRIME = (1n << 521n) - 1n;
/** Bytes of one share's value (big-endian), enough for any field element. */
export const SHARE_BYTES = 66;
/** The largest secret: 64 bytes is still below the prime. */
export const MAX_SECRET_BYTES = 64;

export interface Share {
  /** The evaluation point, 1 … n (0 would be the secret itself). */
  x: number;
  /** The polynomial's value at x, SHARE_BYTES big-endian. */
  y: Uint8Array;
}

function mod(a: bigint): bigint {
  const r = a % FIELD_PRIME;
  return r < 0n ? r + FIELD_PRIME : r;
}

function toBigInt(bytes: Uint8Array): bigint {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

function toBytes(v: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = length - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  if (v !== 0n) throw new SecAggError('MALFORMED_MESSAGE', `a field element does not fit in ${length} bytes`);
  return out;
}

function power(base: bigint, exponent: bigint): bigint {
  let result = 1n;
  base = mod(base);
  while (exponent > 0n) {
    if (exponent & 1n) result = (result * base) % FIELD_PRIME;
    base = (base * base) % FIELD_PRIME;
    exponent >>= 1n;
  }
  return result;
}

/** Fermat inverse: the modulus is prime. */
function inverse(a: bigint): bigint {
  return power(a, FIELD_PRIME - 2n);
}

function randomElement(): bigint {
  // 72 random bytes reduced modulo a 521-bit prime: bias below 2^-50.
  return mod(toBigInt(randomBytes(72)));
}

function checkThreshold(threshold: number, points: number): void {
  if (!Number.isInteger(threshold) || threshold < 1 || threshold > points)
    throw new SecAggError(
      'INVALID_PARAMETERS',
      `a threshold must be an integer from 1 to the number of shares (${points}), got ${threshold}`,
    );
}

/** Splits `secret` into shares at x = 1 … `count`: any `threshold` of them give it back, fewer say nothing. */
export function split(secret: Uint8Array, count: number, threshold: number): Share[] {
  if (secret.byteLength > MAX_SECRET_BYTES)
    throw new SecAggError('INVALID_PARAMETERS', `a secret has at most ${MAX_SECRET_BYTES} bytes`);
  checkThreshold(threshold, count);
  const coefficients = [toBigInt(secret)];
  for (let i = 1; i < threshold; i++) coefficients.push(randomElement());
  const shares: Share[] = [];
  for (let x = 1; x <= count; x++) {
    let y = 0n;
    const bx = BigInt(x);
    for (let i = coefficients.length - 1; i >= 0; i--) y = (y * bx + coefficients[i]) % FIELD_PRIME;
    shares.push({ x, y: toBytes(y, SHARE_BYTES) });
  }
  return shares;
}

/** Inverses of all `values` with one exponentiation (Montgomery's trick): reconstruction is dominated by them. */
function batchInverse(values: readonly bigint[]): bigint[] {
  const prefix: bigint[] = [];
  let acc = 1n;
  for (const v of values) {
    prefix.push(acc);
    acc = (acc * v) % FIELD_PRIME;
  }
  let inv = inverse(acc);
  const out = new Array<bigint>(values.length);
  for (let i = values.length - 1; i >= 0; i--) {
    out[i] = (inv * prefix[i]) % FIELD_PRIME;
    inv = (inv * values[i]) % FIELD_PRIME;
  }
  return out;
}

/** Lagrange interpolation through `shares`, evaluated at any point: the basis denominators are inverted once. */
function interpolator(shares: readonly Share[]): (at: bigint) => bigint {
  const xs = shares.map((s) => BigInt(s.x));
  const ys = shares.map((s) => toBigInt(s.y));
  const denominators = xs.map((xi, i) => {
    let d = 1n;
    for (let j = 0; j < xs.length; j++) if (j !== i) d = (d * mod(xi - xs[j])) % FIELD_PRIME;
    return d;
  });
  const weights = batchInverse(denominators).map((w, i) => (w * ys[i]) % FIELD_PRIME);
  return (at) => {
    let result = 0n;
    for (let i = 0; i < xs.length; i++) {
      let numerator = weights[i];
      for (let j = 0; j < xs.length; j++)
        if (j !== i) numerator = (numerator * mod(at - xs[j])) % FIELD_PRIME;
      result += numerator;
    }
    return result % FIELD_PRIME;
  };
}

function checkShares(shares: readonly Share[]): void {
  const seen = new Set<number>();
  for (const s of shares) {
    if (!Number.isInteger(s.x) || s.x < 1 || seen.has(s.x))
      throw new SecAggError(
        'MALFORMED_MESSAGE',
        `share points must be distinct positive integers (got ${s.x})`,
      );
    if (s.y.byteLength !== SHARE_BYTES)
      throw new SecAggError(
        'MALFORMED_MESSAGE',
        `a share value has ${SHARE_BYTES} bytes, got ${s.y.byteLength}`,
      );
    if (toBigInt(s.y) >= FIELD_PRIME)
      throw new SecAggError('MALFORMED_MESSAGE', `share ${s.x} is not a field element`);
    seen.add(s.x);
  }
}

/**
 * The secret of `secretBytes` bytes from the first `threshold` shares. Every further share given must lie on the
 * same polynomial, or the dealing was inconsistent: `consistent` is false and the caller decides whom to blame.
 * Pass exactly `threshold` shares to skip that check when the secret is verified another way.
 */
export function combine(
  shares: readonly Share[],
  threshold: number,
  secretBytes: number,
): { secret: Uint8Array; consistent: boolean } {
  checkShares(shares);
  checkThreshold(threshold, shares.length);
  const at = interpolator(shares.slice(0, threshold));
  let consistent = true;
  for (const extra of shares.slice(threshold))
    if (at(BigInt(extra.x)) !== toBigInt(extra.y)) consistent = false;
  const value = at(0n);
  // A secret longer than secretBytes means the shares were not of one dealt secret.
  if (value >> BigInt(8 * secretBytes) !== 0n)
    return { secret: new Uint8Array(secretBytes), consistent: false };
  return { secret: toBytes(value, secretBytes), consistent };
}

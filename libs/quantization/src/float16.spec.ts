import { createRandom } from '@cohort/model';
import { decodeFloat16, encodeFloat16, fromFloat16Bits, toFloat16Bits } from './float16.js';

/**
 * Independent reference: rounds in double arithmetic by the definition (nearest multiple of the binade's ulp,
 * ties to the even multiple), without looking at bit fields. Exact, since a float32 has 24 significant bits.
 */
function referenceHalf(x: number): number {
  const v = Math.fround(x);
  if (Number.isNaN(v)) return NaN;
  const a = Math.abs(v);
  if (a === 0) return v;
  const exponent = Math.max(Math.floor(Math.log2(a)), -14);
  // log2 can be off by one near powers of two; settle it exactly.
  let e = exponent;
  while (e > -14 && 2 ** e > a) e--;
  while (2 ** (e + 1) <= a) e++;
  const ulp = 2 ** (e - 10);
  const q = a / ulp;
  const floor = Math.floor(q);
  const diff = q - floor;
  const m = diff > 0.5 || (diff === 0.5 && floor % 2 === 1) ? floor + 1 : floor;
  const r = m * ulp;
  return Math.sign(v) * (r > 65504 ? Infinity : r);
}

describe('binary16', () => {
  it('encodes hand-computed bit patterns', () => {
    const cases: [number, number][] = [
      [0, 0x0000],
      [-0, 0x8000],
      [1, 0x3c00],
      [-2, 0xc000],
      [0.5, 0x3800],
      [65504, 0x7bff], // largest finite
      [65519, 0x7bff], // just under the halfway point to 65536
      [65520, 0x7c00], // halfway: ties to even, which is Infinity
      [2 ** -14, 0x0400], // smallest normal
      [2 ** -14 - 2 ** -24, 0x03ff], // largest subnormal
      [2 ** -24, 0x0001], // smallest subnormal
      [2 ** -25, 0x0000], // halfway to the smallest subnormal: ties to even 0
      [1.5 * 2 ** -25, 0x0001],
      [1 + 2 ** -11, 0x3c00], // halfway between 1 and 1+2^-10: ties to even
      [1 + 3 * 2 ** -11, 0x3c02], // halfway between 1+2^-10 and 1+2^-9: ties to even (up)
      [1 / 3, 0x3555],
      [Infinity, 0x7c00],
      [-Infinity, 0xfc00],
      [1e10, 0x7c00],
      [1e-10, 0x0000],
    ];
    for (const [x, bits] of cases) expect([x, toFloat16Bits(x)]).toEqual([x, bits]);
    expect(toFloat16Bits(NaN) & 0x7e00).toBe(0x7e00);
  });

  it('decodes every bit pattern back to itself', () => {
    for (let h = 0; h < 0x10000; h++) {
      const v = fromFloat16Bits(h);
      if (Number.isNaN(v)) {
        expect((h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0).toBe(true);
        continue;
      }
      expect(toFloat16Bits(v)).toBe(h);
    }
    expect(fromFloat16Bits(0x3555)).toBe(0.333251953125);
    expect(fromFloat16Bits(0x0001)).toBe(2 ** -24);
    expect(Object.is(fromFloat16Bits(0x8000), -0)).toBe(true);
  });

  it('rounds like the reference across the whole float32 range', () => {
    const random = createRandom(16);
    const f = new Float32Array(1);
    const u = new Uint32Array(f.buffer);
    for (let i = 0; i < 200_000; i++) {
      // Random bit patterns cover every binade, subnormals and halfway cases included.
      u[0] = Math.floor(random() * 2 ** 32);
      const x = f[0];
      const got = fromFloat16Bits(toFloat16Bits(x));
      const want = referenceHalf(x);
      if (Number.isNaN(want)) expect(got).toBeNaN();
      else if (got !== want) throw new Error(`${x}: got ${got}, want ${want}`);
    }
    // Exact halfway points, the cases random bits rarely hit.
    for (let h = 0; h < 0x7bff; h++) {
      const mid = (fromFloat16Bits(h) + fromFloat16Bits(h + 1)) / 2;
      expect(fromFloat16Bits(toFloat16Bits(mid))).toBe(referenceHalf(mid));
    }
  });

  it('packs little-endian and refuses an odd length', () => {
    const bytes = encodeFloat16(new Float32Array([1, -2, 65504]));
    expect([...bytes]).toEqual([0x00, 0x3c, 0x00, 0xc0, 0xff, 0x7b]);
    expect([...decodeFloat16(bytes)]).toEqual([1, -2, 65504]);
    expect(() => decodeFloat16(new Uint8Array(3))).toThrow(/3 bytes, not a multiple of 2/);
  });
});

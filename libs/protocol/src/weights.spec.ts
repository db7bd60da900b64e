import { chunkBytes, packFloat32, sha256, unpackFloat32, viewFloat32, MAX_CHUNK_BYTES } from './weights.js';

describe('packed float32 weights', () => {
  it('packs little-endian: 1.0 is 00 00 80 3f', () => {
    expect([...packFloat32(new Float32Array([1, -2]))]).toEqual([0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0]);
  });

  it('round-trips values, including a view into a larger buffer', () => {
    const big = new Float32Array([9, 1.5, -0.25, 3e-8, 9]);
    const view = big.subarray(1, 4);
    expect([...unpackFloat32(packFloat32(view))]).toEqual([1.5, -0.25, Math.fround(3e-8)]);
  });

  it('refuses a payload that is not a whole number of floats', () => {
    expect(() => unpackFloat32(new Uint8Array(7))).toThrow(/7 bytes, not a multiple of 4/);
  });

  it('chunks at the 1 MiB limit without losing a byte', () => {
    const bytes = new Uint8Array(2 * MAX_CHUNK_BYTES + 5).map((_, i) => i % 251);
    const chunks = chunkBytes(bytes);
    expect(chunks.map((c) => c.byteLength)).toEqual([MAX_CHUNK_BYTES, MAX_CHUNK_BYTES, 5]);
    expect(sha256(Buffer.concat(chunks)).equals(sha256(bytes))).toBe(true);
  });

  it('hashes with SHA-256 (FIPS 180-2 test vector "abc")', () => {
    expect(sha256(Buffer.from('abc')).toString('hex')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });

  it('views aligned packed weights in place and unpacks unaligned ones', () => {
    const packed = packFloat32(new Float32Array([1.5, -2, 3]));
    const aligned = new Uint8Array(new ArrayBuffer(12));
    aligned.set(packed);
    const view = viewFloat32(aligned);
    expect([...view]).toEqual([1.5, -2, 3]);
    expect(view.buffer).toBe(aligned.buffer);
    const shifted = new Uint8Array(13);
    shifted.set(packed, 1);
    expect([...viewFloat32(shifted.subarray(1))]).toEqual([1.5, -2, 3]);
    expect(() => viewFloat32(new Uint8Array(6))).toThrow(/not a multiple of 4/);
  });
});

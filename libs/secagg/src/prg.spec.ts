import { createCipheriv } from 'node:crypto';
import { addMask, deriveSeed } from './prg.js';

describe('mask PRG', () => {
  it('is the AES-256-CTR keystream (zero IV) read as little-endian words', () => {
    const seed = deriveSeed(new Uint8Array(32).fill(1), 'test');
    const into = new Uint32Array(100_000);
    addMask(into, seed, 1, 32);
    const stream = createCipheriv('aes-256-ctr', seed, new Uint8Array(16)).update(new Uint8Array(400_000));
    for (const i of [0, 1, 65_535, 65_536, 99_999]) expect(into[i]).toBe(stream.readUInt32LE(4 * i));
  });

  it('adding then subtracting a mask gives the input back, modulo 2^bits', () => {
    for (const bits of [16, 20, 32]) {
      const input = Uint32Array.from({ length: 1000 }, (_, i) => (i * 7919) % 2 ** bits);
      const masked = Uint32Array.from(input);
      const seed = deriveSeed(new Uint8Array(32), `bits ${bits}`);
      addMask(masked, seed, 1, bits);
      expect(masked.every((v) => v < 2 ** bits)).toBe(true);
      expect(masked).not.toEqual(input);
      addMask(masked, seed, -1, bits);
      expect(masked).toEqual(input);
    }
  });
});

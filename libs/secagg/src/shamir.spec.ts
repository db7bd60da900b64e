import { FIELD_PRIME, SHARE_BYTES, combine, split, type Share } from './shamir.js';

function share(x: number, y: bigint): Share {
  const bytes = new Uint8Array(SHARE_BYTES);
  for (let i = SHARE_BYTES - 1; i >= 0; i--) {
    bytes[i] = Number(y & 0xffn);
    y >>= 8n;
  }
  return { x, y: bytes };
}

describe('Shamir secret sharing over GF(2^521 − 1)', () => {
  it('rebuilds the textbook example f(x) = 1234 + 166x + 94x² from any three of its shares', () => {
    // Shares of the worked example in Shamir's scheme's usual presentation: (1, 1494) … (6, 5614).
    const points: [number, bigint][] = [
      [1, 1494n],
      [2, 1942n],
      [3, 2578n],
      [4, 3402n],
      [5, 4414n],
      [6, 5614n],
    ];
    for (const pick of [
      [0, 1, 2],
      [1, 3, 5],
      [5, 2, 0],
    ]) {
      const { secret, consistent } = combine(
        pick.map((i) => share(points[i][0], points[i][1])),
        3,
        2,
      );
      expect(consistent).toBe(true);
      expect((secret[0] << 8) | secret[1]).toBe(1234);
    }
  });

  it('any t of n shares give the secret back; fewer give something else', () => {
    const secret = Uint8Array.from({ length: 32 }, (_, i) => (i * 37 + 5) & 0xff);
    const shares = split(secret, 7, 4);
    expect(shares.map((s) => s.x)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    for (const pick of [
      [0, 1, 2, 3],
      [6, 4, 2, 0],
      [3, 4, 5, 6],
    ]) {
      expect(
        combine(
          pick.map((i) => shares[i]),
          4,
          32,
        ).secret,
      ).toEqual(secret);
    }
    const wrong = combine(shares.slice(0, 3), 3, 32);
    expect(Buffer.from(wrong.secret).equals(Buffer.from(secret))).toBe(false);
  });

  it('flags shares that do not lie on one polynomial', () => {
    const shares = split(new Uint8Array(32).fill(9), 5, 3);
    expect(combine(shares, 3, 32).consistent).toBe(true);
    const altered = shares.map((s) => ({ x: s.x, y: Uint8Array.from(s.y) }));
    altered[4].y[SHARE_BYTES - 1] ^= 1;
    expect(combine(altered, 3, 32).consistent).toBe(false);
  });

  it('refuses malformed shares with the reason', () => {
    const shares = split(new Uint8Array(32), 3, 2);
    expect(() => combine([shares[0], shares[0]], 2, 32)).toThrow(/distinct/);
    expect(() => combine([shares[0], { x: 2, y: new Uint8Array(3) }], 2, 32)).toThrow(/66 bytes/);
    expect(() => combine([shares[0], share(2, FIELD_PRIME)], 2, 32)).toThrow(/not a field element/);
    expect(() => split(new Uint8Array(32), 3, 4)).toThrow(/threshold/);
  });
});

import { nearestNeighbourMixing } from './nearest-neighbour-mixing.js';

const f32 = (...xs: number[]) => Float32Array.from(xs);

describe('nearestNeighbourMixing', () => {
  it('replaces each update by the mean of its n − f nearest, itself included (hand-computed)', () => {
    // On a line: 0, 1, 3, 10. n = 4, f = 1: keep 3.
    // 0 → {0, 1, 3} = 4/3; 1 → {1, 0, 3} = 4/3; 3 → {3, 1, 0} = 4/3; 10 → {10, 3, 1} = 14/3.
    const updates = [0, 1, 3, 10].map((v, i) => ({ delta: f32(v, -v), weight: i + 1, siloId: `s${i}` }));
    const mixed = nearestNeighbourMixing(updates, 1);
    expect(mixed.map((u) => u.delta[0])).toEqual([4 / 3, 4 / 3, 4 / 3, 14 / 3].map(Math.fround));
    expect(mixed.map((u) => u.delta[1])).toEqual([-4 / 3, -4 / 3, -4 / 3, -14 / 3].map(Math.fround));
    expect(mixed.map((u) => [u.weight, u.siloId])).toEqual(updates.map((u) => [u.weight, u.siloId]));
    expect(updates.map((u) => u.delta[0])).toEqual([0, 1, 3, 10]);
  });

  it('with f = 0 gives every update the plain mean', () => {
    const mixed = nearestNeighbourMixing(
      [f32(1), f32(2), f32(6)].map((delta) => ({ delta, weight: 1 })),
      0,
    );
    expect(mixed.map((u) => u.delta[0])).toEqual([3, 3, 3]);
  });

  it('keeps a far update out of every honest mean (one bad among five)', () => {
    const updates = [f32(1, 1), f32(1.2, 0.8), f32(0.9, 1.1), f32(1.1, 1), f32(-50, -50)].map((delta) => ({
      delta,
      weight: 1,
    }));
    const mixed = nearestNeighbourMixing(updates, 1);
    for (const u of mixed.slice(0, 4)) {
      expect(u.delta[0]).toBeCloseTo(1.05, 5);
      expect(u.delta[1]).toBeCloseTo(0.975, 5);
    }
  });
});

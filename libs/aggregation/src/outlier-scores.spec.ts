import { outlierScores, outlierThreshold } from './outlier-scores.js';

const f32 = (...xs: number[]) => Float32Array.from(xs);

describe('outlierScores', () => {
  it('scores distance, cosine and norm against the centre and flags by median + 3·1.4826·MAD (hand-computed)', () => {
    const updates = [f32(1, 0), f32(2, 0), f32(0, 1), f32(-10, 0)].map((delta, i) => ({
      delta,
      weight: 1,
      siloId: `s${i}`,
    }));
    const scores = outlierScores(updates, f32(1, 0));
    // Distances 0, 1, √2, 11: median (1 + √2)/2 = 1.2071; deviations 1.2071, 0.2071, 0.2071, 9.7929 → MAD
    // (0.2071 + 1.2071)/2 = 0.7071; threshold 1.2071 + 3·1.4826·0.7071 = 4.3522: only s3 is over.
    expect(scores.map((s) => s.siloId)).toEqual(['s0', 's1', 's2', 's3']);
    expect(scores.map((s) => s.distance)).toEqual([0, 1, Math.SQRT2, 11]);
    expect(scores.map((s) => s.cosine)).toEqual([1, 1, 0, -1]);
    expect(scores.map((s) => s.norm)).toEqual([1, 2, 1, 10]);
    expect(scores.map((s) => s.flagged)).toEqual([false, false, false, true]);
    expect(outlierThreshold([0, 1, Math.SQRT2, 11])).toBeCloseTo(
      (1 + Math.SQRT2) / 2 + 3 * 1.4826 * Math.SQRT1_2,
      12,
    );
  });

  it('names silos by position when they have no id, and gives cosine 0 for a zero vector', () => {
    const scores = outlierScores(
      [
        { delta: f32(0, 0), weight: 1 },
        { delta: f32(1, 1), weight: 1 },
      ],
      f32(1, 1),
    );
    expect(scores.map((s) => s.siloId)).toEqual(['0', '1']);
    expect(scores[0].cosine).toBe(0);
  });

  it('flags nobody below three silos, and a larger k flags less', () => {
    expect(outlierThreshold([0, 100])).toBe(Infinity);
    const d = [1, 1.1, 0.9, 1.05, 3];
    expect(d.filter((x) => x > outlierThreshold(d, 3)).length).toBe(1);
    expect(d.filter((x) => x > outlierThreshold(d, 100)).length).toBe(0);
  });

  it('refuses a centre of the wrong length', () => {
    expect(() => outlierScores([{ delta: f32(1, 2), weight: 1 }], f32(1))).toThrow(
      'centre has 1 values, expected 2',
    );
  });
});

import type { Metrics } from '@cohort/protocol';
import { createRandom } from '@cohort/model';
import { aucFromHistograms, binaryMetrics, combineMetrics } from './metrics.js';

/** Pairwise definition of the AUC, independent of the rank formula used by binaryMetrics. */
function pairwiseAuc(scores: number[], labels: number[]): number {
  let wins = 0;
  let pairs = 0;
  scores.forEach((sp, i) => {
    if (labels[i] !== 1) return;
    scores.forEach((sn, j) => {
      if (labels[j] !== 0) return;
      pairs++;
      wins += sp > sn ? 1 : sp === sn ? 0.5 : 0;
    });
  });
  return wins / pairs;
}

describe('binaryMetrics', () => {
  it('matches scikit-learn’s roc_auc_score example (0.75)', () => {
    expect(binaryMetrics([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]).auc).toBeCloseTo(0.75, 12);
  });

  it('counts ties between a positive and a negative as one half', () => {
    // Pairs (pos, neg): (.5,.2)=1 (.5,.5)=½ (.8,.2)=1 (.8,.5)=1 (.5,.2)=1 (.5,.5)=½ → 5/6
    expect(binaryMetrics([0.2, 0.5, 0.5, 0.8, 0.5], [0, 0, 1, 1, 1]).auc).toBeCloseTo(5 / 6, 12);
    expect(binaryMetrics([0.3, 0.3, 0.3, 0.3], [0, 1, 0, 1]).auc).toBe(0.5);
  });

  it('agrees with the pairwise definition on random scores with many ties', () => {
    const random = createRandom(21);
    const scores = Array.from({ length: 300 }, () => Math.round(random() * 20) / 20);
    const labels = scores.map((s) => (random() < s ? 1 : 0));
    expect(binaryMetrics(scores, labels).auc).toBeCloseTo(pairwiseAuc(scores, labels), 12);
  });

  it('leaves the AUC undefined (not NaN, not 0) when the test set holds one class', () => {
    const m = binaryMetrics([0.2, 0.9], [1, 1]);
    expect(m.auc).toBeUndefined();
    expect('auc' in m).toBe(true);
    expect(binaryMetrics([0.2, 0.9], [0, 0]).auc).toBeUndefined();
  });

  it('computes the mean cross-entropy, clipping scores to [1e-7, 1 − 1e-7]', () => {
    expect(binaryMetrics([0.9, 0.2], [1, 0]).loss).toBeCloseTo(-(Math.log(0.9) + Math.log(0.8)) / 2, 12);
    // A certain, wrong prediction costs −log(1e-7) ≈ 16.118, not infinity.
    expect(binaryMetrics([0], [1]).loss).toBeCloseTo(16.11809565, 6);
    expect(binaryMetrics([1], [0]).loss).toBeCloseTo(16.11809565, 6);
  });

  it('calls a score positive only above 0.5', () => {
    const m = binaryMetrics([0.5, 0.5001, 0.4999, 0.9], [0, 1, 0, 0]);
    expect(m.accuracy).toBe(0.75);
    expect(m.examples).toBe(4);
  });

  it('bins scores by label over equal bins of [0, 1]', () => {
    const m = binaryMetrics([0, 0.05, 0.1, 0.5, 0.99, 1], [1, 0, 1, 1, 0, 1], 10);
    expect(m.positiveHistogram).toEqual([1, 1, 0, 0, 0, 1, 0, 0, 0, 1]);
    expect(m.negativeHistogram).toEqual([1, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    expect(binaryMetrics([0.3], [1]).positiveHistogram).toHaveLength(100);
  });

  it('produces a protocol Metrics', () => {
    const m: Metrics = binaryMetrics(Float32Array.from([0.2, 0.7]), Float32Array.from([0, 1]));
    expect(m.auc).toBe(1);
  });

  it('refuses inputs it cannot score', () => {
    expect(() => binaryMetrics([], [])).toThrow(/empty test set/);
    expect(() => binaryMetrics([0.1], [0, 1])).toThrow(/1 scores but 2 labels/);
    expect(() => binaryMetrics([NaN], [1])).toThrow(/score 0 is NaN/);
    expect(() => binaryMetrics([0.1], [0.5])).toThrow(/label 0 is 0.5/);
    expect(() => binaryMetrics([0.1], [1], 0)).toThrow(/bins must be a positive integer/);
  });
});

describe('aucFromHistograms', () => {
  it('counts lower bins as wins and the same bin as half', () => {
    // positives [0, 1, 2], negatives [1, 1, 0]: (1·(1 + ½) + 2·2) / (3·2) = 5.5 / 6
    expect(aucFromHistograms([0, 1, 2], [1, 1, 0])).toBeCloseTo(5.5 / 6, 12);
  });

  it('equals the exact AUC when no bin holds both classes', () => {
    const scores = [0.05, 0.15, 0.25, 0.35, 0.45, 0.55, 0.65, 0.75];
    const labels = [0, 1, 0, 0, 1, 0, 1, 1];
    const m = binaryMetrics(scores, labels, 10);
    expect(aucFromHistograms(m.positiveHistogram, m.negativeHistogram)).toBeCloseTo(m.auc!, 12);
  });

  it('is undefined without both classes', () => {
    expect(aucFromHistograms([0, 3], [0, 0])).toBeUndefined();
    expect(aucFromHistograms([0, 0], [0, 0])).toBeUndefined();
  });
});

describe('combineMetrics', () => {
  const random = createRandom(5);
  const scores = Array.from({ length: 200 }, () => random());
  const labels = scores.map((s) => (random() < s ? 1 : 0));

  it('gives the metrics of the union of the test sets', () => {
    const whole = binaryMetrics(scores, labels);
    const parts = [
      binaryMetrics(scores.slice(0, 30), labels.slice(0, 30)),
      binaryMetrics(scores.slice(30, 130), labels.slice(30, 130)),
      binaryMetrics(scores.slice(130), labels.slice(130)),
    ];
    const combined = combineMetrics(parts);
    expect(combined.examples).toBe(200);
    expect(combined.loss).toBeCloseTo(whole.loss, 12);
    expect(combined.accuracy).toBeCloseTo(whole.accuracy, 12);
    expect(combined.positiveHistogram).toEqual(whole.positiveHistogram);
    expect(combined.negativeHistogram).toEqual(whole.negativeHistogram);
    // 100 bins: within a bin's worth of the exact AUC.
    expect(Math.abs(combined.auc! - whole.auc!)).toBeLessThan(0.01);
  });

  it('weights loss and accuracy by examples', () => {
    const a: Metrics = {
      loss: 1,
      accuracy: 0.5,
      examples: 10,
      positiveHistogram: [5, 0],
      negativeHistogram: [0, 5],
    };
    const b: Metrics = {
      loss: 4,
      accuracy: 1,
      examples: 30,
      positiveHistogram: [0, 10],
      negativeHistogram: [20, 0],
    };
    const c = combineMetrics([a, b]);
    expect(c.loss).toBeCloseTo((10 * 1 + 30 * 4) / 40, 12);
    expect(c.accuracy).toBeCloseTo((10 * 0.5 + 30 * 1) / 40, 12);
    // positives [5, 10], negatives [20, 5]: (5·(0 + 10) + 10·(20 + 2.5)) / (15·25)
    expect(c.auc).toBeCloseTo((5 * 10 + 10 * 22.5) / 375, 12);
  });

  it('has an AUC when each silo alone has a single class', () => {
    const onlyPositive = binaryMetrics([0.9, 0.8], [1, 1]);
    const onlyNegative = binaryMetrics([0.1], [0]);
    expect(onlyPositive.auc).toBeUndefined();
    expect(combineMetrics([onlyPositive, onlyNegative]).auc).toBe(1);
    expect(combineMetrics([onlyPositive]).auc).toBeUndefined();
  });

  it('refuses what it cannot combine', () => {
    const m = binaryMetrics([0.1, 0.9], [0, 1]);
    expect(() => combineMetrics([])).toThrow(/no metrics to combine/);
    expect(() => combineMetrics([m, binaryMetrics([0.1, 0.9], [0, 1], 10)])).toThrow(
      /metrics 1 have histograms of 10/,
    );
  });
});

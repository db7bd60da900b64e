// Held-out metrics of a binary classifier. Pure: the aggregator combines silos' metrics without TensorFlow.js.
import type { Metrics } from '@cohort/protocol';
import { EvaluationError } from './errors.js';

export const DEFAULT_HISTOGRAM_BINS = 100;

/** Matches Keras's epsilon, so the loss here agrees with the training loss. */
const PROBABILITY_EPSILON = 1e-7;

/** Assignable to the protocol's `Metrics`; `auc` is undefined when the test set holds a single class. */
export interface BinaryMetrics {
  loss: number;
  accuracy: number;
  auc: number | undefined;
  examples: number;
  /** Counts of positive examples' scores in each of `bins` equal bins of [0, 1]. */
  positiveHistogram: number[];
  negativeHistogram: number[];
}

/**
 * Mean binary cross-entropy (scores clipped to [1e-7, 1 − 1e-7]), accuracy with a score above 0.5 meaning
 * positive (as Keras and scikit-learn decide), exact AUC (Mann–Whitney, ties count 1/2), and score histograms.
 */
export function binaryMetrics(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  bins = DEFAULT_HISTOGRAM_BINS,
): BinaryMetrics {
  const n = scores.length;
  if (labels.length !== n) {
    throw new EvaluationError('INVALID_METRICS', `${n} scores but ${labels.length} labels`);
  }
  if (n === 0) throw new EvaluationError('INVALID_METRICS', 'cannot compute metrics of an empty test set');
  assertBins(bins);
  const positiveHistogram = new Array<number>(bins).fill(0);
  const negativeHistogram = new Array<number>(bins).fill(0);
  let lossSum = 0;
  let correct = 0;
  for (let i = 0; i < n; i++) {
    const s = scores[i];
    const y = labels[i];
    if (Number.isNaN(s)) throw new EvaluationError('INVALID_METRICS', `score ${i} is NaN`);
    if (y !== 0 && y !== 1)
      throw new EvaluationError('INVALID_METRICS', `label ${i} is ${y}; labels must be 0 or 1`);
    const p = Math.min(Math.max(s, PROBABILITY_EPSILON), 1 - PROBABILITY_EPSILON);
    lossSum -= y === 1 ? Math.log(p) : Math.log(1 - p);
    if ((s > 0.5 ? 1 : 0) === y) correct++;
    (y === 1 ? positiveHistogram : negativeHistogram)[binOf(s, bins)]++;
  }
  return {
    loss: lossSum / n,
    accuracy: correct / n,
    auc: mannWhitneyAuc(scores, labels),
    examples: n,
    positiveHistogram,
    negativeHistogram,
  };
}

function assertBins(bins: number): void {
  if (!Number.isSafeInteger(bins) || bins < 1) {
    throw new EvaluationError('INVALID_METRICS', `bins must be a positive integer, got ${bins}`);
  }
}

/** Bin i holds [i/bins, (i+1)/bins); the last bin also holds 1. */
function binOf(score: number, bins: number): number {
  const clipped = Math.min(Math.max(score, 0), 1);
  return Math.min(Math.floor(clipped * bins), bins - 1);
}

/** P(score of a random positive > score of a random negative) + ½ P(tie), by ranks in O(n log n). */
function mannWhitneyAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number | undefined {
  const n = scores.length;
  let positives = 0;
  for (let i = 0; i < n; i++) positives += labels[i];
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) return undefined;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let positiveRankSum = 0;
  for (let start = 0; start < n;) {
    let end = start + 1;
    while (end < n && scores[order[end]] === scores[order[start]]) end++;
    // Tied scores share the mean of ranks start+1 .. end.
    const rank = (start + 1 + end) / 2;
    for (let k = start; k < end; k++) if (labels[order[k]] === 1) positiveRankSum += rank;
    start = end;
  }
  return (positiveRankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/**
 * AUC of score histograms: a positive beats every negative in a lower bin and ties (counts 1/2) with negatives
 * in its own bin. Undefined when either class is absent.
 */
export function aucFromHistograms(
  positiveHistogram: readonly number[],
  negativeHistogram: readonly number[],
): number | undefined {
  if (positiveHistogram.length !== negativeHistogram.length) {
    throw new EvaluationError(
      'INVALID_METRICS',
      `histograms have ${positiveHistogram.length} and ${negativeHistogram.length} bins`,
    );
  }
  let positives = 0;
  let negatives = 0;
  let wins = 0;
  for (let i = 0; i < positiveHistogram.length; i++) {
    wins += positiveHistogram[i] * (negatives + negativeHistogram[i] / 2);
    positives += positiveHistogram[i];
    negatives += negativeHistogram[i];
  }
  if (positives <= 0 || negatives <= 0) return undefined;
  return wins / (positives * negatives);
}

/**
 * The metrics of the union of several test sets: loss and accuracy weighted by examples, histograms summed, AUC
 * from the summed histograms (exact up to the bin width; no prediction leaves a silo).
 */
export function combineMetrics(list: readonly Metrics[]): BinaryMetrics {
  if (list.length === 0) throw new EvaluationError('INVALID_METRICS', 'no metrics to combine');
  const bins = list[0].positiveHistogram.length;
  const positiveHistogram = new Array<number>(bins).fill(0);
  const negativeHistogram = new Array<number>(bins).fill(0);
  let examples = 0;
  let lossSum = 0;
  let accuracySum = 0;
  list.forEach((m, i) => {
    if (m.positiveHistogram.length !== bins || m.negativeHistogram.length !== bins) {
      throw new EvaluationError(
        'INVALID_METRICS',
        `metrics ${i} have histograms of ${m.positiveHistogram.length} and ${m.negativeHistogram.length} bins, ` +
          `metrics 0 have ${bins}`,
      );
    }
    if (!Number.isFinite(m.examples) || m.examples < 0) {
      throw new EvaluationError('INVALID_METRICS', `metrics ${i} have ${m.examples} examples`);
    }
    examples += m.examples;
    lossSum += m.loss * m.examples;
    accuracySum += m.accuracy * m.examples;
    for (let b = 0; b < bins; b++) {
      positiveHistogram[b] += m.positiveHistogram[b];
      negativeHistogram[b] += m.negativeHistogram[b];
    }
  });
  if (examples === 0)
    throw new EvaluationError('INVALID_METRICS', 'the metrics to combine cover no examples');
  return {
    loss: lossSum / examples,
    accuracy: accuracySum / examples,
    auc: aucFromHistograms(positiveHistogram, negativeHistogram),
    examples,
    positiveHistogram,
    negativeHistogram,
  };
}

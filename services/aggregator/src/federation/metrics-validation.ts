import type { Metrics } from '@cohort/protocol';
import { DEFAULT_HISTOGRAM_BINS } from '@cohort/evaluation';
import { AggregatorErrorCode, AggregatorException } from '../common/aggregator.exception.js';

/** Metrics come from outside: refuse values that would poison the aggregate (NaN, out-of-range, huge arrays). */
export function validateMetrics(metrics: Metrics | undefined, siloId: string): Metrics {
  const bad = (why: string): AggregatorException =>
    new AggregatorException(AggregatorErrorCode.METRICS_INVALID, `metrics from silo ${siloId}: ${why}`);
  if (!metrics) throw bad('missing');
  if (!Number.isFinite(metrics.loss) || metrics.loss < 0)
    throw bad(`loss ${metrics.loss} is not a finite non-negative number`);
  if (!(metrics.accuracy >= 0 && metrics.accuracy <= 1))
    throw bad(`accuracy ${metrics.accuracy} is outside [0, 1]`);
  if (metrics.auc !== undefined && metrics.auc !== null && !(metrics.auc >= 0 && metrics.auc <= 1)) {
    throw bad(`auc ${metrics.auc} is outside [0, 1]`);
  }
  const pos = metrics.positiveHistogram ?? [];
  const neg = metrics.negativeHistogram ?? [];
  // Every silo bins its scores the same way: reports are summed bin by bin, so one of another shape would
  // fail the whole round's evaluation rather than only its own report.
  if (pos.length !== DEFAULT_HISTOGRAM_BINS || neg.length !== DEFAULT_HISTOGRAM_BINS)
    throw bad(
      `histograms must have ${DEFAULT_HISTOGRAM_BINS} bins each, got ${pos.length} and ${neg.length}`,
    );
  const total = [...pos, ...neg].reduce((a, b) => a + b, 0);
  if (total !== metrics.examples) {
    throw bad(`histograms count ${total} examples, the report says ${metrics.examples}`);
  }
  const result: Metrics = {
    loss: metrics.loss,
    accuracy: metrics.accuracy,
    examples: metrics.examples,
    positiveHistogram: pos,
    negativeHistogram: neg,
  };
  if (typeof metrics.auc === 'number') result.auc = metrics.auc;
  return result;
}

import type { Job, Metrics } from '@cohort/protocol';
import { toJobListView, toJobView, toMetricsView } from './job-view.js';

const metrics = (patch: Partial<Metrics> = {}): Metrics => ({
  loss: 0.4,
  accuracy: 0.9,
  auc: 0.8,
  examples: 12,
  positiveHistogram: [1],
  negativeHistogram: [2],
  ...patch,
});

describe('toMetricsView', () => {
  it('keeps finite metrics', () => {
    expect(toMetricsView(metrics())).toEqual({
      loss: 0.4,
      accuracy: 0.9,
      auc: 0.8,
      examples: 12,
      positiveHistogram: [1],
      negativeHistogram: [2],
    });
  });

  it('writes an undefined AUC as null', () => {
    const { auc: _auc, ...withoutAuc } = metrics();
    expect(toMetricsView(withoutAuc as Metrics)?.auc).toBeNull();
  });

  it('never lets NaN or Infinity through', () => {
    const view = toMetricsView(
      metrics({ auc: Number.NaN, loss: Number.POSITIVE_INFINITY, accuracy: Number.NaN }),
    );
    expect(view).toMatchObject({ auc: null, loss: null, accuracy: null });
  });

  it('drops proto-loader virtual oneof keys', () => {
    const fromWire = { ...metrics(), _auc: 'auc' } as Metrics;
    expect(Object.keys(toMetricsView(fromWire) ?? {})).not.toContain('_auc');
  });

  it('is null for absent metrics', () => {
    expect(toMetricsView(undefined)).toBeNull();
    expect(toMetricsView(null)).toBeNull();
  });
});

describe('toJobView', () => {
  const job: Job = {
    jobId: 'j1',
    spec: undefined,
    status: 'running',
    currentRound: 1,
    failureReason: '',
    submittedBy: 'researcher',
    createdAtUnixMs: 1,
    updatedAtUnixMs: 2,
    privacy: undefined,
    decisions: [{ siloId: 's1', accept: true, reason: '', decidedAtUnixMs: 3 }],
    rounds: [
      {
        round: 1,
        status: 'completed',
        lateUpdates: 0,
        epsilonSpent: 0,
        startedAtUnixMs: 4,
        closedAtUnixMs: 5,
        durationMs: 1,
        metrics: undefined,
        silos: [
          {
            siloId: 's1',
            updateStatus: 'accepted',
            reason: '',
            exampleCount: 10,
            trainMs: 7,
            outlier: { distance: 1.5, cosine: -0.5, norm: 2, flagged: true },
            metrics: metrics(),
          },
        ],
      },
    ],
  };

  it('keeps the Job message fields and makes absent messages null', () => {
    const view = toJobView(job);
    expect(view.spec).toBeNull();
    expect(view.rounds[0].metrics).toBeNull();
    expect(view.rounds[0].silos[0].metrics?.auc).toBe(0.8);
    expect(view.decisions).toEqual(job.decisions);
    expect(view).toMatchObject({
      jobId: 'j1',
      status: 'running',
      currentRound: 1,
      submittedBy: 'researcher',
    });
  });

  it('writes a spec without privacy as privacy: null', () => {
    const view = toJobView({
      ...job,
      spec: {
        name: 'n',
        gracePeriodMs: 30_000,
        model: { template: 'logreg', hiddenUnits: [] },
        dataset: { id: 'd', features: ['a'], fhir: undefined },
        rounds: 1,
        minSilos: 1,
        roundTimeoutMs: 1000,
        offerTimeoutMs: 1000,
        local: { epochs: 1, batchSize: 1, learningRate: 0.1 },
        aggregation: { rule: 'fedavg', params: {} },
        serverOptimizer: { kind: 'none', learningRate: 1, momentum: 0, beta1: 0, beta2: 0, tau: 0 },
        privacy: undefined,
        wire: undefined,
        secureAggregation: undefined,
        seed: 0,
      },
    });
    expect(view.spec?.privacy).toBeNull();
    expect(JSON.parse(JSON.stringify(view.spec))).toHaveProperty('privacy', null);
  });

  it('writes the last page token as null', () => {
    expect(toJobListView({ jobs: [], nextPageToken: '' }).nextPageToken).toBeNull();
    expect(toJobListView({ jobs: [], nextPageToken: 'p2' }).nextPageToken).toBe('p2');
  });
});

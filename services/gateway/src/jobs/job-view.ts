// The JSON a researcher reads for a job: the Job message field for field, with three differences that JSON needs.
// proto-loader adds virtual "_auc"-style keys for proto3 optional fields, which are dropped; a metric that is not
// a finite number (NaN from an empty test set) becomes null instead of leaking as NaN; and an absent optional
// (auc with a single-class test set, an unset message) is an explicit null, so clients see a stable shape.
import { fhirMappingFromProto } from '@cohort/fhir';
import type {
  Job,
  JobSpec,
  ListJobsResponse,
  Metrics,
  RoundSummary,
  SiloDecision,
  SiloRound,
} from '@cohort/protocol';

export interface MetricsView {
  loss: number | null;
  accuracy: number | null;
  /** null when the AUC is undefined (a held-out set with a single class). */
  auc: number | null;
  examples: number;
  positiveHistogram: number[];
  negativeHistogram: number[];
}

export interface SiloRoundView extends Omit<SiloRound, 'metrics'> {
  metrics: MetricsView | null;
}

export interface RoundSummaryView extends Omit<RoundSummary, 'metrics' | 'silos'> {
  metrics: MetricsView | null;
  silos: SiloRoundView[];
}

export interface JobSpecView extends Omit<
  JobSpec,
  'model' | 'dataset' | 'local' | 'aggregation' | 'serverOptimizer' | 'privacy' | 'secureAggregation'
> {
  model: JobSpec['model'] | null;
  /** The FHIR mapping in the researcher's spelling (no protocol "" and 0 stand-ins), so the spec resubmits as is. */
  dataset: { id: string; features: string[]; fhir?: unknown } | null;
  local: JobSpec['local'] | null;
  aggregation: JobSpec['aggregation'] | null;
  serverOptimizer: JobSpec['serverOptimizer'] | null;
  privacy: JobSpec['privacy'] | null;
  secureAggregation: JobSpec['secureAggregation'] | null;
}

export interface JobView extends Omit<Job, 'spec' | 'rounds' | 'decisions'> {
  spec: JobSpecView | null;
  decisions: SiloDecision[];
  rounds: RoundSummaryView[];
}

export interface JobListView {
  jobs: JobView[];
  /** null on the last page. */
  nextPageToken: string | null;
}

function finiteOrNull(value: number | null | undefined): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

export function toMetricsView(metrics: Metrics | null | undefined): MetricsView | null {
  if (!metrics) return null;
  return {
    loss: finiteOrNull(metrics.loss),
    accuracy: finiteOrNull(metrics.accuracy),
    auc: finiteOrNull(metrics.auc),
    examples: metrics.examples,
    positiveHistogram: [...(metrics.positiveHistogram ?? [])],
    negativeHistogram: [...(metrics.negativeHistogram ?? [])],
  };
}

function toSiloRoundView(silo: SiloRound): SiloRoundView {
  return {
    siloId: silo.siloId,
    updateStatus: silo.updateStatus,
    reason: silo.reason,
    exampleCount: silo.exampleCount,
    trainMs: silo.trainMs,
    metrics: toMetricsView(silo.metrics),
    // Robust rules: the silo's distance to the round's robust centre, and whether it was flagged.
    outlier: silo.outlier ?? undefined,
  };
}

function toRoundView(round: RoundSummary): RoundSummaryView {
  return {
    round: round.round,
    status: round.status,
    startedAtUnixMs: round.startedAtUnixMs,
    closedAtUnixMs: round.closedAtUnixMs,
    durationMs: round.durationMs,
    epsilonSpent: round.epsilonSpent ?? 0,
    lateUpdates: round.lateUpdates ?? 0,
    metrics: toMetricsView(round.metrics),
    silos: (round.silos ?? []).map(toSiloRoundView),
  };
}

function toDecisionView(decision: SiloDecision): SiloDecision {
  return {
    siloId: decision.siloId,
    accept: decision.accept,
    reason: decision.reason,
    decidedAtUnixMs: decision.decidedAtUnixMs,
  };
}

export function toSpecView(spec: JobSpec | null | undefined): JobSpecView | null {
  if (!spec) return null;
  return {
    name: spec.name,
    model: spec.model
      ? { template: spec.model.template, hiddenUnits: [...(spec.model.hiddenUnits ?? [])] }
      : null,
    dataset: spec.dataset
      ? {
          id: spec.dataset.id,
          features: [...(spec.dataset.features ?? [])],
          ...(spec.dataset.fhir ? { fhir: fhirMappingFromProto(spec.dataset.fhir) } : {}),
        }
      : null,
    rounds: spec.rounds,
    minSilos: spec.minSilos,
    roundTimeoutMs: spec.roundTimeoutMs,
    offerTimeoutMs: spec.offerTimeoutMs,
    gracePeriodMs: spec.gracePeriodMs ?? 0,
    local: spec.local
      ? { epochs: spec.local.epochs, batchSize: spec.local.batchSize, learningRate: spec.local.learningRate }
      : null,
    aggregation: spec.aggregation
      ? { rule: spec.aggregation.rule, params: { ...(spec.aggregation.params ?? {}) } }
      : null,
    serverOptimizer: spec.serverOptimizer
      ? {
          kind: spec.serverOptimizer.kind,
          learningRate: spec.serverOptimizer.learningRate,
          momentum: spec.serverOptimizer.momentum,
          beta1: spec.serverOptimizer.beta1,
          beta2: spec.serverOptimizer.beta2,
          tau: spec.serverOptimizer.tau,
        }
      : null,
    privacy: spec.privacy
      ? {
          enabled: spec.privacy.enabled,
          targetEpsilon: spec.privacy.targetEpsilon,
          delta: spec.privacy.delta,
          clipNorm: spec.privacy.clipNorm,
          mode: spec.privacy.mode,
          level: spec.privacy.level,
          samplingRate: spec.privacy.samplingRate,
          noiseMultiplier: spec.privacy.noiseMultiplier,
        }
      : null,
    // A job stored before the setting existed ran in float32, so that is what it shows.
    wire: { encoding: spec.wire?.encoding || 'float32' },
    secureAggregation: spec.secureAggregation
      ? {
          protocol: spec.secureAggregation.protocol,
          threshold: spec.secureAggregation.threshold,
          bits: spec.secureAggregation.bits,
          clipRange: spec.secureAggregation.clipRange,
          maxWeight: spec.secureAggregation.maxWeight,
        }
      : null,
    seed: spec.seed,
  };
}

export function toJobView(job: Job): JobView {
  return {
    jobId: job.jobId,
    spec: toSpecView(job.spec),
    status: job.status,
    currentRound: job.currentRound,
    failureReason: job.failureReason,
    submittedBy: job.submittedBy,
    createdAtUnixMs: job.createdAtUnixMs,
    updatedAtUnixMs: job.updatedAtUnixMs,
    decisions: (job.decisions ?? []).map(toDecisionView),
    rounds: (job.rounds ?? []).map(toRoundView),
    // The released model's guarantee (mechanism, ε, δ, level, rounds, σ, C), for DP jobs.
    privacy: job.privacy ?? undefined,
  };
}

export function toJobListView(response: ListJobsResponse): JobListView {
  return {
    jobs: (response.jobs ?? []).map(toJobView),
    nextPageToken: response.nextPageToken ? response.nextPageToken : null,
  };
}

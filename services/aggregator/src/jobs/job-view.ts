import type { Job, Metrics, RoundSummary } from '@cohort/protocol';
import { JobPrivacy } from '../privacy/job-privacy.js';
import type { DecisionRow, JobRow } from './job.repository.js';
import type { RoundRow, RoundSiloRow } from '../rounds/round.repository.js';

/** jsonb keeps what JSON.stringify wrote: an undefined AUC stays absent rather than becoming NaN or 0. */
function metricsOrUndefined(m: Metrics | null): Metrics | undefined {
  return m ?? undefined;
}

export function toJobMessage(
  job: JobRow,
  decisions: DecisionRow[],
  rounds: RoundRow[],
  silos: RoundSiloRow[],
): Job {
  const roundSummaries: RoundSummary[] = rounds.map((r) => ({
    round: r.round,
    status: r.status,
    startedAtUnixMs: r.startedAt.getTime(),
    closedAtUnixMs: r.closedAt?.getTime() ?? 0,
    durationMs: r.durationMs ?? 0,
    metrics: metricsOrUndefined(r.metrics),
    epsilonSpent: r.epsilonSpent ?? 0,
    lateUpdates: r.lateUpdates ?? 0,
    silos: silos
      .filter((s) => s.round === r.round)
      .map((s) => ({
        siloId: s.siloId,
        updateStatus: s.updateStatus,
        reason: s.reason,
        exampleCount: s.exampleCount,
        trainMs: s.trainMs,
        metrics: metricsOrUndefined(s.metrics),
        outlier: s.outlier
          ? {
              distance: s.outlier.distance,
              cosine: s.outlier.cosine,
              norm: s.outlier.norm,
              flagged: s.outlier.flagged,
            }
          : undefined,
      })),
  }));
  return {
    jobId: job.id,
    spec: job.spec,
    status: job.status,
    currentRound: job.currentRound,
    failureReason: job.failureReason ?? '',
    submittedBy: job.submittedBy,
    createdAtUnixMs: job.createdAt.getTime(),
    updatedAtUnixMs: job.updatedAt.getTime(),
    decisions: decisions.map((d) => ({
      siloId: d.siloId,
      accept: d.accept,
      reason: d.reason,
      decidedAtUnixMs: d.decidedAt.getTime(),
    })),
    rounds: roundSummaries,
    privacy: JobPrivacy.of(job.spec, job.privacyState)?.statement(),
  };
}

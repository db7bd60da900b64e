import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import {
  MAX_CHUNK_BYTES,
  TaskKind,
  packFloat32,
  sha256,
  unpackFloat32,
  type JobSpec,
  type PrivacySpec,
  type Metrics,
  type Task,
} from '@cohort/protocol';
import { initialWeights, modelLayout, parameterCount } from '@cohort/model';
import { weightsEncodingOf } from '@cohort/quantization';
import {
  applyServerOptimizer,
  decodeOptimizerState,
  encodeOptimizerState,
  type ServerOptimizerKind,
  type ServerOptimizerState,
} from '@cohort/aggregation';
import { combineMetrics } from '@cohort/evaluation';
import { isDatabaseUnavailable } from '@cohort/storage';
import { AuditTrail } from '../audit/audit-trail.service.js';
import { DatabaseHealth } from '../database/database-health.service.js';
import { LOGGER } from '../common/logger.provider.js';
import { SiloSessions } from '../federation/silo-sessions.service.js';
import { JobEvents } from '../jobs/job-events.service.js';
import { JobRepository, type JobRow } from '../jobs/job.repository.js';
import { EnclaveHost } from '../enclave/enclave-host.service.js';
import type { EnclaveDp, EnclaveOutlierScore } from '../enclave/enclave-protocol.js';
import { JobPrivacy } from '../privacy/job-privacy.js';
import { ActiveRound } from './active-round.js';
import { ActiveRounds } from './active-rounds.service.js';
import { ModelRepository } from './model.repository.js';
import { SecAggRoundFailure, SecAggRounds } from '../secagg/secagg-rounds.service.js';
import { RoundRepository } from './round.repository.js';

/** A job cannot go on; the reason is what the researcher reads. */
class JobFailure extends Error {}

const EVALUATION_TIMEOUT_CAP_MS = 30_000;
const EVALUATING_ROUNDS = 2;

interface GlobalModel {
  weights: Float32Array;
  bytes: Buffer;
  sha256: Buffer;
}

interface DpContext {
  privacy: JobPrivacy;
  normaliser: number;
  enclave: EnclaveDp;
}

function calibrate(spec: JobSpec): PrivacySpec | undefined {
  try {
    return JobPrivacy.calibrate(spec);
  } catch (err) {
    throw new JobFailure(`the privacy target cannot be met: ${(err as Error).message}`);
  }
}

/**
 * The pseudo-gradient the server optimiser applies. Without DP the enclave released the weighted mean of the
 * silos' deltas. With DP it released a noised sum: at patient level of clipped per-record gradients (one DP-SGD
 * step: w ← w − η·sum/(q·N)), at silo level of clipped deltas (their mean over the silos).
 */
function toDelta(aggregate: Float32Array, dp: DpContext | undefined, spec: JobSpec): Float32Array {
  if (!dp) return aggregate;
  const scale =
    dp.privacy.spec.level === 'silo' ? 1 / dp.normaliser : -(spec.local?.learningRate ?? 0.1) / dp.normaliser;
  return aggregate.map((v) => v * scale);
}

/** Lets the event loop flush pending socket writes (tasks to silos) before CPU-bound database work. */
function yieldToIo(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Small models ride along with the task (one chunk at most); larger ones are fetched with GetModel. */
function inline(bytes: Buffer): Buffer {
  return bytes.byteLength <= MAX_CHUNK_BYTES ? bytes : Buffer.alloc(0);
}

/** A round whose model is released; `recorded` settles when it is durable, `closing` when its metrics are in. */
interface RoundOutcome {
  model: GlobalModel;
  state: ServerOptimizerState | undefined;
  recorded: Promise<void>;
  closing: Promise<void>;
}

interface OfferState {
  decided: Map<string, { accept: boolean; reason: string }>;
  wake?: () => void;
}

/** Drives each job through offer, rounds of train → aggregate → evaluate, and its end. */
@Injectable()
export class JobRunner implements OnApplicationShutdown {
  private readonly running = new Map<string, { abort: AbortController; done: Promise<void> }>();
  private readonly offers = new Map<string, OfferState>();

  constructor(
    private readonly jobs: JobRepository,
    private readonly rounds: RoundRepository,
    private readonly models: ModelRepository,
    private readonly sessions: SiloSessions,
    private readonly activeRounds: ActiveRounds,
    private readonly events: JobEvents,
    private readonly enclave: EnclaveHost,
    @Inject(LOGGER) private readonly log: Logger,
    private readonly audit: AuditTrail,
    private readonly secagg: SecAggRounds,
    private readonly database: DatabaseHealth,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    const pending = [...this.running.values()];
    for (const r of pending) r.abort.abort();
    await Promise.allSettled(pending.map((r) => r.done));
  }

  /**
   * Drives the job (JobLeases calls this for the jobs this replica holds the lease of); a job interrupted by a
   * restart or a takeover resumes from its last completed round. Settles when the run ends, whatever its end.
   */
  start(jobId: string): Promise<void> {
    const existing = this.running.get(jobId);
    if (existing) return existing.done;
    const abort = new AbortController();
    const done = this.drive(jobId, abort.signal)
      .catch((err: unknown) => this.log.error({ err, jobId }, 'job runner crashed'))
      .finally(() => this.running.delete(jobId));
    this.running.set(jobId, { abort, done });
    return done;
  }

  /** Stops a running job's current wait; the job's status is the caller's to set. */
  async stop(jobId: string): Promise<void> {
    const r = this.running.get(jobId);
    if (!r) return;
    r.abort.abort();
    await r.done;
  }

  recordDecision(jobId: string, siloId: string, accept: boolean, reason: string): void {
    const offer = this.offers.get(jobId);
    if (!offer) return;
    offer.decided.set(siloId, { accept, reason });
    offer.wake?.();
  }

  private async drive(jobId: string, abort: AbortSignal): Promise<void> {
    const job = await this.jobs.get(jobId);
    if (!job) return;
    let spec = job.spec;
    const inputDim = spec.dataset?.features.length ?? 0;
    const modelSpec = spec.model ?? { template: 'logreg', hiddenUnits: [] };
    const p = parameterCount(modelLayout(modelSpec, inputDim));
    // Released rounds whose held-out evaluation is still open, oldest first.
    const evaluating: RoundOutcome[] = [];
    try {
      let participants: string[];
      if (job.status === 'pending') {
        if (spec.privacy?.enabled && !(spec.privacy.noiseMultiplier > 0)) {
          // Silos judge the offer (and their ledgers) on the calibrated mechanism.
          spec = { ...spec, privacy: calibrate(spec) };
          await this.jobs.updateSpec(jobId, spec);
          job.spec = spec;
        }
        participants = await this.offer(job, abort);
        if (abort.aborted) return;
        const weights = initialWeights(modelSpec, inputDim, spec.seed);
        const bytes = packFloat32(weights);
        await this.models.save(jobId, 0, bytes, sha256(bytes));
        await this.jobs.setStatus(jobId, 'running');
        this.events.emit({ jobId, type: 'status', message: 'running' });
      } else {
        participants = (await this.jobs.listDecisions(jobId)).filter((d) => d.accept).map((d) => d.siloId);
        await this.rounds.closeInterruptedEvaluations(jobId);
        this.log.info({ jobId }, 'resuming job after a restart');
        // Its silos are reconnecting to this replica (backing off): a round started before they are back would
        // run short or fail its quorum, so wait for them, no longer than one offer period.
        await this.sessions.waitForConnected(participants, Date.now() + spec.offerTimeoutMs, abort);
      }

      const last = await this.rounds.lastAggregatedRound(jobId);
      const stored = await this.models.get(jobId, last);
      if (!stored) throw new JobFailure(`the global model of round ${last} is missing from the database`);
      let model = { weights: unpackFloat32(stored.weights), bytes: stored.weights, sha256: stored.sha256 };
      const savedState = await this.jobs.loadOptimizerState(jobId);
      let optimizerState: ServerOptimizerState | undefined = savedState
        ? decodeOptimizerState(savedState)
        : undefined;
      const dp = await this.dpContext(jobId, spec, participants);
      for (let round = last + 1; round <= spec.rounds; round++) {
        if (dp && !dp.privacy.allowsAnotherRound()) {
          this.log.info(
            { jobId, round, epsilon: dp.privacy.spent().epsilon },
            'privacy budget reached: stopping',
          );
          this.events.emit({ jobId, type: 'status', round, message: 'privacy budget reached' });
          break;
        }
        const result = await this.runRound(
          jobId,
          spec,
          round,
          p,
          model,
          optimizerState,
          participants,
          abort,
          evaluating.at(-1)?.recorded ?? Promise.resolve(),
          dp,
        );
        // Silos evaluate a round after training the next one, so its metrics come in during the round after
        // that: two rounds evaluate while the next trains, and the oldest closes before another opens.
        while (evaluating.length >= EVALUATING_ROUNDS) await evaluating.shift()?.closing;
        if (!result) return;
        evaluating.push(result);
        ({ model, state: optimizerState } = result);
      }
      for (const open of evaluating.splice(0)) await open.closing;
      if (await this.jobs.finish(jobId, 'completed')) {
        this.notifySilos(jobId, participants, TaskKind.TASK_KIND_FINISHED, 'completed');
        this.events.emit({ jobId, type: 'status', message: 'completed' });
        this.log.info({ jobId, rounds: spec.rounds }, 'job completed');
        await this.audit.record('aggregator', 'job.completed', `job:${jobId}`, { jobId });
        await this.audit.checkpoint();
      }
    } catch (err) {
      // The open evaluations settle (or fail) before the job's end is recorded after them.
      await Promise.allSettled(evaluating.map((open) => open.closing));
      if (abort.aborted) return;
      // Not the job's fault: it keeps its lease and resumes from its last completed round once the database is
      // back, rerunning a round that fell short because the silos' relayed calls failed while it was away.
      const fellShort = err instanceof JobFailure && this.database.faultedWithin(spec.roundTimeoutMs + 5_000);
      if (isDatabaseUnavailable(err) || fellShort) {
        if (isDatabaseUnavailable(err)) this.database.reportUnavailable();
        this.log.warn({ err, jobId }, 'database unreachable: job paused until it is back');
        return;
      }
      const expected = err instanceof JobFailure || err instanceof SecAggRoundFailure;
      const reason = expected ? err.message : `internal error: ${(err as Error).message}`;
      if (!expected) this.log.error({ err, jobId }, 'job failed on an internal error');
      if (await this.jobs.finish(jobId, 'failed', reason)) {
        this.notifySilos(
          jobId,
          this.sessions.connected().map((c) => c.siloId),
          TaskKind.TASK_KIND_FINISHED,
          reason,
        );
        this.events.emit({ jobId, type: 'status', message: `failed: ${reason}` });
        this.log.warn({ jobId, reason }, 'job failed');
        await this.audit.recordRefusal('aggregator', 'job.failed', `job:${jobId}`, { jobId, reason });
        await this.audit
          .checkpoint()
          .catch((e: unknown) => this.log.error({ err: e }, 'audit checkpoint failed'));
      }
    }
  }

  /** Offers the job to every silo serving its dataset and waits for their policies' answers. */
  private async offer(job: JobRow, abort: AbortSignal): Promise<string[]> {
    const spec = job.spec;
    const datasetId = spec.dataset?.id ?? '';
    const state: OfferState = { decided: new Map() };
    const offered = new Set<string>();
    const sendOffer = (siloId: string): void => {
      const datasets = this.sessions.connected().find((s) => s.siloId === siloId)?.datasetIds ?? [];
      if (offered.has(siloId) || !datasets.includes(datasetId)) return;
      offered.add(siloId);
      this.sessions.send(
        siloId,
        this.task(job.id, TaskKind.TASK_KIND_OFFER, 0, { spec, submittedBy: job.submittedBy }),
      );
    };
    this.offers.set(job.id, state);
    this.sessions.events.on('connected', sendOffer);
    try {
      for (const { siloId } of this.sessions.connected()) sendOffer(siloId);
      const deadline = Date.now() + spec.offerTimeoutMs;
      while (Date.now() < deadline && !abort.aborted) {
        if (offered.size > 0 && [...offered].every((s) => state.decided.has(s))) break;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(wake, Math.max(0, deadline - Date.now()));
          abort.addEventListener('abort', wake, { once: true });
          function wake(): void {
            clearTimeout(timer);
            abort.removeEventListener('abort', wake);
            resolve();
          }
          state.wake = wake;
        });
      }
    } finally {
      this.sessions.events.off('connected', sendOffer);
      this.offers.delete(job.id);
    }
    const accepted = [...state.decided].filter(([, d]) => d.accept).map(([s]) => s);
    if (!abort.aborted && accepted.length < spec.minSilos) {
      const declined = [...state.decided]
        .filter(([, d]) => !d.accept)
        .map(([s, d]) => `${s} declined: ${d.reason}`);
      const silent = [...offered].filter((s) => !state.decided.has(s)).map((s) => `${s} did not answer`);
      const detail = [...declined, ...silent].join('; ');
      throw new JobFailure(
        `quorum not reached: ${accepted.length} of ${offered.size} offered silos accepted the job, ` +
          `${spec.minSilos} required${detail ? ` (${detail})` : ''}`,
      );
    }
    return accepted.sort();
  }

  private async runRound(
    jobId: string,
    spec: JobSpec,
    round: number,
    p: number,
    previous: GlobalModel,
    optimizerState: ServerOptimizerState | undefined,
    accepted: string[],
    abort: AbortSignal,
    previousRecorded: Promise<void>,
    dp?: DpContext,
  ): Promise<RoundOutcome | undefined> {
    const participants = accepted.filter((s) => this.sessions.isConnected(s));
    if (participants.length < spec.minSilos) {
      throw new JobFailure(
        `round ${round}: ${participants.length} of the silos that accepted the job are connected ` +
          `(${participants.join(', ') || 'none'}); the quorum is ${spec.minSilos}`,
      );
    }
    const active = new ActiveRound(jobId, round, p, participants);
    active.differentiallyPrivate = dp !== undefined;
    active.encoding = weightsEncodingOf(spec.wire?.encoding);
    const started = Date.now();
    this.activeRounds.set(active);
    const onDisconnect = (siloId: string): void => active.drop(siloId);
    this.sessions.events.on('disconnected', onDisconnect);
    let handedOver = false;
    try {
      this.events.emit({ jobId, type: 'round_started', round });
      for (const siloId of participants) {
        const sent = this.sessions.send(siloId, {
          ...this.task(jobId, TaskKind.TASK_KIND_TRAIN, round, { spec }),
          globalModel: { jobId, round: round - 1, parameterCount: p, sha256: previous.sha256 },
          modelWeights: inline(previous.bytes),
          nonce: active.nonces.get(siloId) ?? Buffer.alloc(0),
          dp: dp
            ? {
                samplingRate: dp.privacy.spec.samplingRate,
                clipNorm: dp.privacy.spec.clipNorm,
                noiseMultiplier: dp.privacy.spec.noiseMultiplier,
              }
            : undefined,
          deadlineUnixMs: started + spec.roundTimeoutMs,
        });
        if (!sent) active.drop(siloId);
      }
      // The tasks go out first; recording the round and opening it in the enclave overlap with the silos'
      // training (PGlite's work holds this thread, so it must not delay the tasks). Uploads wait for both.
      await yieldToIo();
      // The previous round's model is durable before any update of this one is folded in.
      active.ready = Promise.all([
        previousRecorded,
        this.rounds.start(jobId, round, participants),
        // Secure aggregation: no enclave; the silos' masked updates are unmasked as a sum (secagg/).
        spec.secureAggregation
          ? Promise.resolve().then(() =>
              this.secagg.open(active, spec, started + spec.roundTimeoutMs, abort, dp?.privacy),
            )
          : this.enclave.openRound(
              jobId,
              round,
              p,
              dp?.enclave,
              {
                name: spec.aggregation?.rule ?? 'fedavg',
                params: spec.aggregation?.params ?? {},
              },
              active.encoding,
            ),
      ]).then(() => undefined);
      active.ready.catch(() => undefined);
      await active.ready;
      // The round closes when every participant has delivered, or once a quorum is in and the grace period
      // for the rest has run out, or at the deadline: a straggler delays the federation by the grace, no more.
      const deadline = started + spec.roundTimeoutMs;
      await active.waitUntil(
        () => active.trainingComplete || active.accepted.size >= spec.minSilos,
        deadline,
        abort,
      );
      if (!active.trainingComplete && active.accepted.size >= spec.minSilos) {
        // Jobs stored before grace periods existed wait for the deadline, as they did.
        const grace = spec.gracePeriodMs ?? spec.roundTimeoutMs;
        await active.waitUntil(() => active.trainingComplete, Math.min(deadline, Date.now() + grace), abort);
      }
      if (abort.aborted) return this.interrupted(jobId, round, started);
      active.phase = 'evaluating';
      active.closedTraining = Date.now();
      if (active.accepted.size < spec.minSilos) {
        await this.rounds.markMissing(jobId, round);
        const missing = participants.filter((s) => !active.accepted.has(s));
        await this.rounds.close(jobId, round, 'failed', Date.now() - started, null);
        throw new JobFailure(
          `round ${round} closed with ${active.accepted.size} accepted update(s); the quorum is ${spec.minSilos} ` +
            `(no valid update from ${missing.join(', ')})`,
        );
      }

      const optimizer = spec.serverOptimizer ?? {
        kind: 'none',
        learningRate: 1,
        momentum: 0,
        beta1: 0,
        beta2: 0,
        tau: 0,
      };
      const released = spec.secureAggregation
        ? { ...(await this.secagg.release(jobId, round)), scores: [] as EnclaveOutlierScore[] }
        : await this.enclave.release(jobId, round);
      this.reportOutliers(jobId, round, released.scores);
      const next = applyServerOptimizer(
        optimizer.kind as ServerOptimizerKind,
        optimizer,
        previous.weights,
        toDelta(released.aggregate, dp, spec),
        optimizerState,
      );
      const epsilonSpent = dp?.privacy.charge();
      if (dp) {
        this.log.info(
          {
            audit: true,
            jobId,
            round,
            epsilonSpent,
            delta: dp.privacy.spec.delta,
            noiseMultiplier: dp.privacy.spec.noiseMultiplier,
          },
          'privacy spent',
        );
      }
      const bytes = packFloat32(next.weights);
      const model: GlobalModel = { weights: next.weights, bytes, sha256: sha256(bytes) };
      const recording = this.rounds.recordAggregate(
        jobId,
        round,
        { weights: bytes, sha256: model.sha256 },
        encodeOptimizerState(next.state),
        [...active.accepted.values()].map((a) => ({
          ...a,
          outlier: released.scores.find((sc) => sc.siloId === a.siloId),
        })),
        dp && epsilonSpent !== undefined ? { state: dp.privacy.state(), epsilonSpent } : undefined,
      );
      void recording.then(
        () => this.models.remember(jobId, { round, weights: bytes, sha256: model.sha256 }),
        () => undefined,
      );
      // The round's evidence — whose update went in (by the digest the silo logged as sent), outliers, the release
      // and the privacy spent — is one group commit written once the model is durable (a round whose recording
      // failed is rerun, and its release is audited once), while the silos evaluate, and before the round is
      // recorded as completed (awaited in closeRound).
      const evidence = recording.then(() =>
        Promise.all([
          ...[...active.accepted.values()].map((a) =>
            this.audit.record('aggregator', 'update.accepted', `job:${jobId}`, {
              jobId,
              round,
              siloId: a.siloId,
              updateDigest: a.updateDigest,
              exampleCount: a.exampleCount,
            }),
          ),
          ...released.scores
            .filter((s) => s.flagged)
            .map((s) =>
              this.audit.record('aggregator', 'outlier.flagged', `job:${jobId}`, {
                jobId,
                round,
                siloId: s.siloId,
                distance: s.distance,
                cosine: s.cosine,
                norm: s.norm,
              }),
            ),
          this.audit.record('aggregator', 'aggregate.released', `job:${jobId}`, {
            jobId,
            round,
            updates: active.accepted.size,
            rule: spec.aggregation?.rule ?? 'fedavg',
            modelSha256: model.sha256.toString('hex'),
          }),
          ...(dp && epsilonSpent !== undefined
            ? [
                this.audit.record('aggregator', 'privacy.spent', `job:${jobId}`, {
                  jobId,
                  round,
                  epsilonCumulative: epsilonSpent,
                  delta: dp.privacy.spec.delta,
                  noiseMultiplier: dp.privacy.spec.noiseMultiplier,
                }),
              ]
            : []),
        ]),
      );
      evidence.catch(() => undefined);
      // A model too large to ride with the task is fetched from the database, so it must be stored first.
      if (inline(bytes).byteLength === 0) await recording;

      // Under DP no per-silo metric leaves a silo (it would be an unaccounted release), so there is no evaluation.
      const evaluators = dp ? [] : [...active.accepted.keys()];
      for (const siloId of evaluators) {
        this.sessions.send(siloId, {
          ...this.task(jobId, TaskKind.TASK_KIND_EVALUATE, round, {}),
          globalModel: { jobId, round, parameterCount: p, sha256: model.sha256 },
          modelWeights: inline(model.bytes),
          deadlineUnixMs: Date.now() + Math.min(spec.roundTimeoutMs, EVALUATION_TIMEOUT_CAP_MS),
        });
      }
      // The evaluation runs while the next round trains: a silo trains on this model first and evaluates it once
      // its update is sent, so the federation does not wait for held-out metrics between rounds.
      const closing = this.closeRound(
        active,
        evidence,
        recording,
        started,
        abort,
        onDisconnect,
        dp !== undefined,
      );
      closing.catch(() => undefined);
      handedOver = true;
      return { model, state: next.state, recorded: recording, closing };
    } finally {
      if (!handedOver) {
        this.sessions.events.off('disconnected', onDisconnect);
        this.activeRounds.clear(active);
        // Released rounds are already gone from the enclave; this drops a round that failed or was interrupted.
        this.secagg.discard(jobId, round);
        await this.enclave.discard(jobId, round).catch(() => undefined);
      }
    }
  }

  /**
   * A round's second half, after its model is released: the silos' held-out metrics, then the round is recorded
   * as completed once its evidence is durable. Rejects when recording fails; an abort closes it as failed.
   */
  private async closeRound(
    active: ActiveRound,
    evidence: Promise<unknown>,
    recording: Promise<void>,
    started: number,
    abort: AbortSignal,
    onDisconnect: (siloId: string) => void,
    differentiallyPrivate: boolean,
  ): Promise<void> {
    const { jobId, round } = active;
    try {
      await recording;
      await active.waitUntil(
        () => differentiallyPrivate || active.evaluationComplete,
        Date.now() + EVALUATION_TIMEOUT_CAP_MS,
        abort,
      );
      if (abort.aborted) {
        await this.interrupted(jobId, round, started);
        return;
      }
      active.phase = 'closed';
      const reported: Metrics[] = [...active.metrics.values()];
      const aggregate = reported.length > 0 ? combineMetrics(reported) : null;
      await evidence;
      await this.rounds.close(jobId, round, 'completed', Date.now() - started, aggregate, active.metrics);
      this.events.emit({
        jobId,
        type: 'round_completed',
        round,
        message: aggregate
          ? `accuracy ${aggregate.accuracy.toFixed(3)}, loss ${aggregate.loss.toFixed(4)}`
          : 'no metrics reported',
      });
      this.log.info(
        { jobId, round, updates: active.accepted.size, totalMs: Date.now() - started },
        'round completed',
      );
      // Signed while the next round trains; checkpoints queue in order, and the job's end awaits the last one.
      void this.audit
        .checkpoint()
        .catch((err: unknown) => this.log.error({ err, jobId, round }, 'audit checkpoint failed'));
    } finally {
      this.sessions.events.off('disconnected', onDisconnect);
      this.activeRounds.clear(active);
    }
  }

  /** Flagged silos are audited: their update sat far from the robust centre (scores only; no update leaves). */
  private reportOutliers(jobId: string, round: number, scores: EnclaveOutlierScore[]): void {
    for (const s of scores.filter((x) => x.flagged)) {
      this.log.warn(
        { audit: true, jobId, round, siloId: s.siloId, distance: s.distance, cosine: s.cosine, norm: s.norm },
        'silo flagged as an outlier',
      );
      this.events.emit({
        jobId,
        type: 'outlier',
        round,
        siloId: s.siloId,
        message: `distance ${s.distance.toFixed(4)}`,
      });
    }
  }

  /** A cancel or a shutdown stopped the round: it is closed as failed; a restart reruns it from its start. */
  private async interrupted(jobId: string, round: number, started: number): Promise<undefined> {
    await this.rounds.close(jobId, round, 'failed', Date.now() - started, null);
    return undefined;
  }

  /**
   * A DP job's mechanism for its rounds: the accountant (restored after a restart), what the enclave applies,
   * and the public normaliser of the noised sum (expected batch size, or the number of silos at silo level).
   */
  private async dpContext(
    jobId: string,
    spec: JobSpec,
    participants: string[],
  ): Promise<DpContext | undefined> {
    const row = await this.jobs.get(jobId);
    const privacy = JobPrivacy.of(spec, row?.privacyState);
    if (!privacy) return undefined;
    const p = privacy.spec;
    let normaliser = participants.length;
    if (p.level !== 'silo') {
      const declared = (await this.jobs.listDecisions(jobId))
        .filter((d) => d.accept)
        .reduce((sum, d) => sum + d.declaredRecords, 0);
      normaliser = p.samplingRate * declared;
    }
    if (!(normaliser > 0)) {
      throw new JobFailure(
        'the silos that accepted this DP job declared no training records to normalise by',
      );
    }
    return {
      privacy,
      normaliser,
      enclave: {
        level: p.level === 'silo' ? 'silo' : 'patient',
        mode: p.mode === 'local' ? 'local' : 'central',
        clipNorm: p.clipNorm,
        noiseStd: privacy.noiseStd,
      },
    };
  }

  /** Tells the silos of a job that it ended early, so they stop work on it. */
  notifyCancelled(jobId: string, siloIds: string[], reason: string): void {
    this.notifySilos(jobId, siloIds, TaskKind.TASK_KIND_CANCEL, reason);
  }

  private notifySilos(jobId: string, siloIds: string[], kind: TaskKind, reason: string): void {
    for (const siloId of siloIds) this.sessions.send(siloId, { ...this.task(jobId, kind, 0, {}), reason });
  }

  private task(jobId: string, kind: TaskKind, round: number, extra: Partial<Task>): Task {
    return {
      taskId: randomUUID(),
      kind,
      jobId,
      round,
      spec: undefined,
      globalModel: undefined,
      nonce: Buffer.alloc(0),
      deadlineUnixMs: 0,
      dp: undefined,
      enclaveAttestationToken: '',
      reason: '',
      submittedBy: '',
      modelWeights: Buffer.alloc(0),
      secagg: undefined,
      ...extra,
    };
  }
}

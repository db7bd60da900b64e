import { Inject, Injectable } from '@nestjs/common';
import { createHash, randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import {
  SecAggStepKind,
  TaskKind,
  type JobSpec,
  type SecAggHeader,
  type SecAggStep,
  type Task,
} from '@cohort/protocol';
import {
  SecAggError,
  SecAggServer,
  decodeSum,
  degreeToWire,
  keysFromWire,
  keysToWire,
  planDistributedDp,
  quantizationScale,
  sealedFromWire,
  sealedToWire,
  shareFromWire,
  survivorsNoise,
  wordsFromBytes,
  type InputCodec,
  type RoundConfig,
} from '@cohort/secagg';
import { AggregatorErrorCode, AggregatorException } from '../common/aggregator.exception.js';
import { AuditTrail } from '../audit/audit-trail.service.js';
import { LOGGER } from '../common/logger.provider.js';
import { SiloSessions } from '../federation/silo-sessions.service.js';
import { JobEvents } from '../jobs/job-events.service.js';
import type { JobPrivacy } from '../privacy/job-privacy.js';
import type { ActiveRound } from '../rounds/active-round.js';

/** A secure-aggregation round that cannot finish; the message is the reason the researcher reads. */
export class SecAggRoundFailure extends Error {}

/** How long the key-exchange and unmasking steps wait for the slowest silo once the others have answered. */
const STEP_GRACE_MS = 10_000;

interface SecAggRound {
  active: ActiveRound;
  spec: JobSpec;
  server: SecAggServer;
  codec: InputCodec;
  config: RoundConfig;
  dp?: { privacy: JobPrivacy };
  /** Who answered the current step (a step closes when every expected silo has). */
  answered: Set<string>;
  expected: Set<string>;
  wake?: () => void;
  failure?: Error;
  /** The key exchange running in the background while the silos train. */
  exchange: Promise<void>;
  deadline: number;
  abort: AbortSignal;
}

function key(jobId: string, round: number): string {
  return `${jobId}/${round}`;
}

/**
 * The aggregator's side of secure-aggregation rounds (libs/secagg's SecAggServer over the silos' gRPC sessions):
 * it relays keys and encrypted shares between silos, collects their masked updates into the ActiveRound as the
 * enclave path collects sealed ones, then asks the survivors for the shares that unmask the sum.
 */
@Injectable()
export class SecAggRounds {
  private readonly rounds = new Map<string, SecAggRound>();

  constructor(
    private readonly sessions: SiloSessions,
    private readonly events: JobEvents,
    private readonly audit: AuditTrail,
    @Inject(LOGGER) private readonly log: Logger,
  ) {
    // A silo that disconnects is not waited for at any step of any round.
    this.sessions.events.on('disconnected', (siloId: string) => {
      for (const round of this.rounds.values()) {
        if (round.expected.delete(siloId)) round.wake?.();
      }
    });
  }

  /**
   * Opens the round (its quantizer fixed for the silos it invites) and runs the key exchange in the background:
   * ADVERTISE and SHARE close when every silo has answered, or STEP_GRACE_MS after a quorum, or at the deadline.
   * Masked inputs then arrive into `active` like sealed updates do, under the runner's quorum and grace rules.
   */
  open(active: ActiveRound, spec: JobSpec, deadline: number, abort: AbortSignal, privacy?: JobPrivacy): void {
    const sa = spec.secureAggregation;
    if (!sa) throw new Error('open() is for secure-aggregation jobs');
    const participants = [...active.participants].sort();
    const length = active.parameterCount + 1;
    const nonceDigest = createHash('sha256');
    for (const p of participants) nonceDigest.update(p).update(active.nonces.get(p) ?? Buffer.alloc(0));
    const config: RoundConfig = {
      roundId: `${active.jobId}/${active.round}/${nonceDigest.digest('hex').slice(0, 32)}`,
      bits: sa.bits,
      length,
      degree: sa.protocol === 'secagg' ? 'full' : 'secagg+',
      thresholdFraction: sa.threshold,
      participants,
    };
    let codec: InputCodec;
    let server: SecAggServer;
    try {
      server = new SecAggServer(config);
      const p = privacy?.spec;
      if (privacy && p) {
        // The noise is planned for the fewest silos a round can be unmasked with (the protocol's threshold, the
        // job's quorum): each adds 1/floor of it, so even then the sum carries all the noise the target needs.
        const floor = Math.min(participants.length, Math.max(server.minimumSurvivors, spec.minSilos));
        const plan = planDistributedDp({
          bits: sa.bits,
          silos: participants.length,
          noiseShares: floor,
          clipNorm: p.clipNorm,
          noiseMultiplier: p.noiseMultiplier,
          dimension: length,
        });
        privacy.useDistributedNoise((survivors) => {
          const noise = survivorsNoise(plan, survivors);
          return {
            samplingRate: 1,
            noiseMultiplier: noise.noiseMultiplier,
            skellam: { mu: noise.mu, l1: noise.l1, l2: noise.l2 },
          };
        }, floor);
        if (!privacy.allowsAnotherRound())
          throw new SecAggRoundFailure(
            `round ${active.round} could exceed the privacy target if only ${floor} silos' noise reached the sum`,
          );
        codec = {
          bits: sa.bits,
          scale: plan.scale,
          clipRange: p.clipNorm,
          maxWeight: 1,
          clipNorm: p.clipNorm,
          noiseMu: plan.muPerSilo,
        };
      } else {
        codec = {
          bits: sa.bits,
          scale: quantizationScale({ bits: sa.bits, silos: participants.length, clipRange: sa.clipRange }),
          clipRange: sa.clipRange,
          maxWeight: sa.maxWeight,
          clipNorm: 0,
          noiseMu: 0,
        };
      }
    } catch (err) {
      if (err instanceof SecAggError || err instanceof SecAggRoundFailure)
        throw new SecAggRoundFailure(`secure aggregation cannot run round ${active.round}: ${err.message}`);
      throw err;
    }
    const round: SecAggRound = {
      active,
      spec,
      server,
      codec,
      config,
      dp: privacy ? { privacy } : undefined,
      answered: new Set(),
      expected: new Set(participants),
      exchange: Promise.resolve(),
      deadline,
      abort,
    };
    this.rounds.set(key(active.jobId, active.round), round);
    round.exchange = this.exchangeKeys(round);
    round.exchange.catch(() => undefined);
  }

  private async exchangeKeys(round: SecAggRound): Promise<void> {
    const { active, server, config, codec } = round;
    try {
      this.sendStep(round, [...round.expected], {
        kind: SecAggStepKind.SEC_AGG_STEP_KIND_ADVERTISE,
        config: {
          roundId: config.roundId,
          bits: config.bits,
          length: config.length,
          degree: degreeToWire(config.degree),
          threshold: config.thresholdFraction,
          participants: config.participants,
          scale: codec.scale,
          clipRange: codec.clipRange,
          maxWeight: codec.maxWeight,
          noiseMu: codec.noiseMu,
          clipNorm: codec.clipNorm,
        },
      });
      await this.waitForStep(round);
      const roster = server.closeAdvertise();
      this.nextStep(
        round,
        roster.keys.map((k) => k.silo),
      );
      this.sendStep(round, [...round.expected], {
        kind: SecAggStepKind.SEC_AGG_STEP_KIND_SHARE,
        roster: roster.keys.map(keysToWire),
      });
      await this.waitForStep(round);
      const forwarded = server.closeShares();
      this.nextStep(round, [...forwarded.keys()]);
      for (const [silo, f] of forwarded)
        this.sendStep(round, [silo], {
          kind: SecAggStepKind.SEC_AGG_STEP_KIND_MASK,
          survivors: f.survivors,
          shares: f.shares.map(sealedToWire),
        });
      // Silos that dropped out of the key exchange can no longer contribute: the runner stops waiting for them.
      for (const p of active.participants) if (!round.expected.has(p)) active.drop(p);
    } catch (err) {
      round.failure = err instanceof Error ? err : new Error(String(err));
      const reason = round.failure.message;
      const silo = err instanceof SecAggError ? err.silo : undefined;
      this.log.warn(
        { audit: true, jobId: active.jobId, round: active.round, reason, siloId: silo },
        'secure aggregation aborted',
      );
      // The runner reports the round's quorum; the event and the audit trail say why the key exchange failed.
      this.events.emit({
        jobId: active.jobId,
        type: 'secagg_aborted',
        round: active.round,
        siloId: silo ?? '',
        message: reason,
      });
      await this.audit.recordRefusal('aggregator', 'secagg.aborted', `job:${active.jobId}`, {
        jobId: active.jobId,
        round: active.round,
        reason,
        ...(silo ? { siloId: silo } : {}),
      });
      // Nothing can be unmasked any more: the runner stops waiting and fails the round.
      for (const p of active.participants) active.drop(p);
    }
  }

  private nextStep(round: SecAggRound, expected: string[]): void {
    round.expected = new Set(expected);
    round.answered = new Set();
  }

  private sendStep(round: SecAggRound, silos: string[], step: Partial<SecAggStep>): void {
    const { active } = round;
    for (const silo of silos) {
      const task: Task = {
        taskId: randomUUID(),
        kind: TaskKind.TASK_KIND_SECAGG,
        jobId: active.jobId,
        round: active.round,
        spec: undefined,
        globalModel: undefined,
        nonce: active.nonces.get(silo) ?? Buffer.alloc(0),
        deadlineUnixMs: round.deadline,
        dp: undefined,
        enclaveAttestationToken: '',
        reason: '',
        submittedBy: '',
        modelWeights: Buffer.alloc(0),
        secagg: {
          kind: SecAggStepKind.SEC_AGG_STEP_KIND_UNSPECIFIED,
          config: undefined,
          roster: [],
          survivors: [],
          shares: [],
          dropped: [],
          ...step,
        },
      };
      if (!this.sessions.send(silo, task)) round.expected.delete(silo);
    }
  }

  /** Every expected silo answered; or a quorum did and the grace ran out; or the deadline passed. */
  private async waitForStep(round: SecAggRound): Promise<void> {
    const all = () => [...round.expected].every((s) => round.answered.has(s));
    const quorum = () => round.answered.size >= Math.max(round.spec.minSilos, round.server.minimumSurvivors);
    await this.waitUntil(round, () => all() || quorum(), round.deadline);
    if (!all()) await this.waitUntil(round, all, Math.min(round.deadline, Date.now() + STEP_GRACE_MS));
    if (round.abort.aborted) throw new SecAggRoundFailure('the round was interrupted');
  }

  private async waitUntil(round: SecAggRound, done: () => boolean, deadline: number): Promise<void> {
    while (!done() && Date.now() < deadline && !round.abort.aborted) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(finish, Math.max(0, deadline - Date.now()));
        const onAbort = (): void => finish();
        round.abort.addEventListener('abort', onAbort, { once: true });
        function finish(): void {
          clearTimeout(timer);
          round.abort.removeEventListener('abort', onAbort);
          resolve();
        }
        round.wake = finish;
      });
      round.wake = undefined;
    }
  }

  /** A silo's message for the step its round is at, authenticated by the caller. */
  receive(header: SecAggHeader, masked: Uint8Array | undefined): void {
    const round = this.rounds.get(key(header.jobId, header.round));
    if (!round)
      throw new AggregatorException(
        AggregatorErrorCode.SECAGG_ROUND_NOT_ACTIVE,
        `no secure-aggregation round ${header.round} of job ${header.jobId} is open`,
      );
    const { active, server } = round;
    const nonce = active.nonces.get(header.siloId);
    if (!nonce || !nonce.equals(Buffer.from(header.nonce)))
      throw new AggregatorException(
        AggregatorErrorCode.UPDATE_BAD_NONCE,
        `the message's nonce does not match the one issued to silo ${header.siloId} for round ${header.round}`,
      );
    const silo = header.siloId;
    try {
      switch (header.step) {
        case SecAggStepKind.SEC_AGG_STEP_KIND_ADVERTISE:
          if (!header.keys || header.keys.siloId !== silo)
            throw invalid('an ADVERTISE message carries its own keys');
          server.receiveAdvertise(keysFromWire(header.keys));
          break;
        case SecAggStepKind.SEC_AGG_STEP_KIND_SHARE:
          server.receiveShares({
            silo,
            selfMaskCommitment: new Uint8Array(header.selfMaskCommitment),
            shares: header.shares.map(sealedFromWire),
          });
          break;
        case SecAggStepKind.SEC_AGG_STEP_KIND_MASK: {
          if (!masked) throw invalid('a MASK message carries the masked input');
          active.admit(silo, header.nonce);
          const words = wordsFromBytes(masked, round.config.length);
          server.receiveMaskedInput({ silo, masked: words, complaints: [...header.complaints] });
          active.markAccepted({
            siloId: silo,
            exampleCount: active.differentiallyPrivate ? 0 : header.exampleCount,
            trainMs: 0,
            updateDigest: createHash('sha256').update(masked).digest('hex'),
          });
          break;
        }
        case SecAggStepKind.SEC_AGG_STEP_KIND_UNMASK:
          server.receiveUnmask({
            silo,
            selfMaskShares: header.selfMaskShares.map(shareFromWire),
            maskingKeyShares: header.maskingKeyShares.map(shareFromWire),
          });
          break;
        default:
          throw invalid(`unknown secure-aggregation step ${header.step}`);
      }
    } catch (err) {
      if (err instanceof SecAggError) throw invalid(err.message);
      throw err;
    }
    round.answered.add(silo);
    round.wake?.();
  }

  /**
   * After the runner closed the masked-input step: names the survivors and the dropped, collects the shares that
   * remove the survivors' self-masks and the dropped silos' pairwise masks, and returns the aggregate the server
   * optimiser applies: FedAvg of the survivors' updates, or under DP their noised sum (the runner normalises it).
   */
  async release(jobId: string, round: number): Promise<{ aggregate: Float32Array; survivors: string[] }> {
    const r = this.rounds.get(key(jobId, round));
    if (!r) throw new SecAggRoundFailure(`no secure-aggregation round ${round} of job ${jobId} is open`);
    await r.exchange;
    if (r.failure) throw new SecAggRoundFailure(`secure aggregation aborted: ${r.failure.message}`);
    try {
      const request = r.server.closeMaskedInputs();
      this.nextStep(r, request.survivors);
      this.sendStep(r, request.survivors, {
        kind: SecAggStepKind.SEC_AGG_STEP_KIND_UNMASK,
        survivors: request.survivors,
        dropped: request.dropped,
      });
      const all = () => [...r.expected].every((s) => r.answered.has(s));
      // The unmasking has its own short window: the survivors answer from memory, no training is involved.
      const deadline = Math.max(r.deadline, Date.now() + STEP_GRACE_MS);
      await this.waitUntil(r, all, deadline);
      if (r.abort.aborted) throw new SecAggRoundFailure('the round was interrupted');
      const result = r.server.finish();
      for (const m of result.misbehaving) {
        this.log.warn(
          { audit: true, jobId, round, siloId: m.silo, reason: m.reason },
          'silo misbehaved in secure aggregation',
        );
        this.events.emit({ jobId, type: 'secagg_misbehaviour', round, siloId: m.silo, message: m.reason });
        await this.audit.recordRefusal('aggregator', 'secagg.misbehaviour', `job:${jobId}`, {
          jobId,
          round,
          siloId: m.silo,
          reason: m.reason,
        });
      }
      const decoded = decodeSum(result.sum, r.codec);
      let aggregate: Float32Array;
      if (r.dp) {
        r.dp.privacy.setSurvivors(result.survivors.length);
        aggregate = Float32Array.from(decoded.sum);
      } else {
        if (!(decoded.weight > 0))
          throw new SecAggRoundFailure(
            `the unmasked weights sum to ${decoded.weight}: no silo trained on any example`,
          );
        aggregate = Float32Array.from(decoded.sum, (v) => v / decoded.weight);
      }
      this.log.info(
        { jobId, round, survivors: result.survivors.length, dropped: result.dropped },
        'secure aggregation unmasked the sum',
      );
      return { aggregate, survivors: result.survivors };
    } catch (err) {
      if (err instanceof SecAggError) {
        await this.audit.recordRefusal('aggregator', 'secagg.aborted', `job:${jobId}`, {
          jobId,
          round,
          code: err.code,
          reason: err.message,
          ...(err.silo ? { siloId: err.silo } : {}),
        });
        throw new SecAggRoundFailure(
          `secure aggregation aborted (${err.code}${err.silo ? `, silo ${err.silo}` : ''}): ${err.message}`,
        );
      }
      throw err;
    } finally {
      this.rounds.delete(key(jobId, round));
    }
  }

  /** Forgets a round that failed or was interrupted. */
  discard(jobId: string, round: number): void {
    const r = this.rounds.get(key(jobId, round));
    r?.wake?.();
    this.rounds.delete(key(jobId, round));
  }
}

function invalid(message: string): AggregatorException {
  return new AggregatorException(AggregatorErrorCode.SECAGG_MESSAGE_INVALID, message);
}

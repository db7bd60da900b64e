import { Inject, Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { from, lastValueFrom } from 'rxjs';
import type { Logger } from 'pino';
import {
  SecAggStepKind,
  chunkBytes,
  type FederationServiceClient,
  type JobSpec,
  type SecAggChunk,
  type SecAggHeader,
  type SecAggRoundConfig,
  type Task,
} from '@cohort/protocol';
import {
  SecAggClient,
  configFromWire,
  encodeInput,
  keysFromWire,
  keysToWire,
  planDistributedDp,
  minimumSurvivors,
  quantizationScale,
  sealedFromWire,
  sealedToWire,
  shareToWire,
  wordsToBytes,
  type InputCodec,
} from '@cohort/secagg';
import type { SkellamMechanism } from '@cohort/privacy';
import { SiloConfig } from '../config.js';
import { FEDERATION_CLIENT } from '../federation-client.js';
import { LOGGER } from '../logger.provider.js';

/** What the silo trained this round, for its masked input. */
export interface TrainedUpdate {
  update: Float32Array;
  exampleCount: number;
}

/** What left the silo with a masked input: for its local audit log and its privacy ledger. */
export interface MaskedInputSent {
  task: Task;
  digest: string;
  bytes: number;
  exampleCount: number;
  /** Distributed DP: the Skellam release this silo's records are charged for, with all silos' noise. */
  skellam?: SkellamMechanism & { noiseMultiplier: number };
}

interface ParticipantRound {
  spec: JobSpec;
  nonce: Uint8Array;
  client?: SecAggClient;
  codec?: InputCodec;
  wire?: SecAggRoundConfig;
  update: Promise<TrainedUpdate>;
  provide: (u: TrainedUpdate) => void;
  /** Steps of one round run one after another, whatever order their tasks overlap in. */
  chain: Promise<void>;
}

const UPDATE_WAIT_CAP_MS = 24 * 60 * 60 * 1000;

/**
 * This silo's side of secure-aggregation rounds: libs/secagg's SecAggClient over the aggregator's tasks (the
 * silo dials out only; every other silo's keys and shares reach it relayed). Before it masks anything it checks
 * that the quantizer and the noise the aggregator asks for are the ones the job spec implies.
 */
@Injectable()
export class SecAggParticipant {
  private readonly rounds = new Map<string, ParticipantRound>();

  constructor(
    private readonly config: SiloConfig,
    @Inject(FEDERATION_CLIENT) private readonly federation: FederationServiceClient,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  private roundOf(task: Task, spec: JobSpec): ParticipantRound {
    const k = `${task.jobId}/${task.round}`;
    let r = this.rounds.get(k);
    if (!r) {
      let provide: (u: TrainedUpdate) => void = () => undefined;
      const update = new Promise<TrainedUpdate>((resolve) => (provide = resolve));
      r = { spec, nonce: task.nonce, update, provide, chain: Promise.resolve() };
      this.rounds.set(k, r);
    }
    return r;
  }

  /** The train task's result: the round's masked input is made from it once the MASK step comes. */
  provideUpdate(task: Task, spec: JobSpec, trained: TrainedUpdate): void {
    this.roundOf(task, spec).provide(trained);
  }

  /** Runs one step; steps of a round are serialised. `onSent` is told once the masked input was accepted. */
  handle(task: Task, spec: JobSpec, onSent: (sent: MaskedInputSent) => Promise<void>): Promise<void> {
    const round = this.roundOf(task, spec);
    const run = round.chain.then(() => this.step(task, round, onSent));
    round.chain = run.catch(() => undefined);
    return run;
  }

  forget(jobId: string): void {
    for (const k of [...this.rounds.keys()]) if (k.startsWith(`${jobId}/`)) this.rounds.delete(k);
  }

  private async step(
    task: Task,
    round: ParticipantRound,
    onSent: (sent: MaskedInputSent) => Promise<void>,
  ): Promise<void> {
    const step = task.secagg;
    if (!step)
      throw new Error(`secure-aggregation task for job ${task.jobId} round ${task.round} has no step`);
    const base = { jobId: task.jobId, round: task.round, siloId: this.config.siloId, nonce: round.nonce };
    switch (step.kind) {
      case SecAggStepKind.SEC_AGG_STEP_KIND_ADVERTISE: {
        if (!step.config) throw new Error('an ADVERTISE step carries the round configuration');
        round.codec = this.checkConfig(round.spec, step.config);
        round.wire = step.config;
        round.client = new SecAggClient(this.config.siloId, configFromWire(step.config));
        await this.submit({ ...base, step: step.kind, keys: keysToWire(round.client.advertise()) });
        return;
      }
      case SecAggStepKind.SEC_AGG_STEP_KIND_SHARE: {
        const client = this.clientOf(round, task);
        const shares = client.shareKeys({
          config: configFromWire(round.wire as SecAggRoundConfig),
          keys: step.roster.map(keysFromWire),
        });
        await this.submit({
          ...base,
          step: step.kind,
          selfMaskCommitment: shares.selfMaskCommitment,
          shares: shares.shares.map(sealedToWire),
        });
        return;
      }
      case SecAggStepKind.SEC_AGG_STEP_KIND_MASK: {
        const client = this.clientOf(round, task);
        const codec = round.codec as InputCodec;
        const wait = Math.min(UPDATE_WAIT_CAP_MS, Math.max(0, Number(task.deadlineUnixMs) - Date.now()));
        const trained = await Promise.race([
          round.update,
          new Promise<never>((_, reject) =>
            setTimeout(
              () => reject(new Error('training did not finish before the round deadline')),
              wait,
            ).unref(),
          ),
        ]);
        const input = encodeInput(trained.update, trained.exampleCount, codec);
        const masked = client.maskedInput(
          { survivors: [...step.survivors], shares: step.shares.map(sealedFromWire) },
          input,
        );
        input.fill(0);
        const bytes = wordsToBytes(masked.masked);
        const digest = createHash('sha256').update(bytes).digest();
        const dp = codec.noiseMu > 0;
        if (masked.complaints.length > 0)
          this.log.warn(
            { audit: true, jobId: task.jobId, round: task.round, dealers: masked.complaints },
            'secure aggregation: shares that do not match their commitments',
          );
        await this.submit(
          {
            ...base,
            step: step.kind,
            complaints: masked.complaints,
            maskedBytes: bytes.byteLength,
            maskedSha256: digest,
            exampleCount: dp ? 0 : trained.exampleCount,
          },
          bytes,
        );
        await onSent({
          task,
          digest: digest.toString('hex'),
          bytes: bytes.byteLength,
          exampleCount: dp ? 0 : trained.exampleCount,
          ...(dp ? { skellam: this.skellamCharge(round.spec, codec, round.wire as SecAggRoundConfig) } : {}),
        });
        return;
      }
      case SecAggStepKind.SEC_AGG_STEP_KIND_UNMASK: {
        const client = this.clientOf(round, task);
        const response = client.unmask({ survivors: [...step.survivors], dropped: [...step.dropped] });
        await this.submit({
          ...base,
          step: step.kind,
          selfMaskShares: response.selfMaskShares.map((s) => shareToWire(s.of, s.share)),
          maskingKeyShares: response.maskingKeyShares.map((s) => shareToWire(s.of, s.share)),
        });
        this.rounds.delete(`${task.jobId}/${task.round}`);
        return;
      }
      default:
        throw new Error(`unknown secure-aggregation step ${step.kind}`);
    }
  }

  private clientOf(round: ParticipantRound, task: Task): SecAggClient {
    if (!round.client)
      throw new Error(
        `round ${task.round} of job ${task.jobId}: a step arrived before this silo advertised its keys`,
      );
    return round.client;
  }

  /**
   * The aggregator's quantizer and noise must be what the spec implies for this many silos: a smaller scale
   * would blur the update, and a smaller μ would leave this silo's records less protected than the job promised.
   */
  private checkConfig(spec: JobSpec, c: SecAggRoundConfig): InputCodec {
    const sa = spec.secureAggregation;
    if (!sa) throw new Error('secure-aggregation step for a job without secure aggregation');
    const refuse = (what: string) => {
      throw new Error(`the aggregator's secure-aggregation round does not match the job spec: ${what}`);
    };
    const degree = sa.protocol === 'secagg' ? 'full' : 'secagg+';
    if (c.bits !== sa.bits) refuse(`bits ${c.bits}, the spec says ${sa.bits}`);
    if (c.threshold !== sa.threshold) refuse(`threshold ${c.threshold}, the spec says ${sa.threshold}`);
    if (c.degree !== degree) refuse(`degree ${c.degree}, the spec's protocol ${sa.protocol} means ${degree}`);
    if (!c.participants.includes(this.config.siloId)) refuse('this silo is not among the participants');
    const n = c.participants.length;
    const privacy = spec.privacy?.enabled ? spec.privacy : undefined;
    if (privacy) {
      const plan = planDistributedDp({
        bits: sa.bits,
        silos: n,
        noiseShares: Math.min(n, Math.max(minimumSurvivors(configFromWire(c)), spec.minSilos)),
        clipNorm: privacy.clipNorm,
        noiseMultiplier: privacy.noiseMultiplier,
        dimension: c.length,
      });
      const close = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));
      if (!close(c.noiseMu, plan.muPerSilo))
        refuse(`noise μ ${c.noiseMu}, the spec implies ${plan.muPerSilo}`);
      if (!close(c.scale, plan.scale)) refuse(`scale ${c.scale}, the spec implies ${plan.scale}`);
      if (c.clipNorm !== privacy.clipNorm)
        refuse(`clip norm ${c.clipNorm}, the spec says ${privacy.clipNorm}`);
      return {
        bits: sa.bits,
        scale: plan.scale,
        clipRange: privacy.clipNorm,
        maxWeight: 1,
        clipNorm: privacy.clipNorm,
        noiseMu: plan.muPerSilo,
      };
    }
    if (c.noiseMu !== 0 || c.clipNorm !== 0) refuse('noise or clipping asked for in a job without DP');
    const scale = quantizationScale({ bits: sa.bits, silos: n, clipRange: sa.clipRange });
    if (c.scale !== scale) refuse(`scale ${c.scale}, the spec implies ${scale}`);
    if (c.clipRange !== sa.clipRange || c.maxWeight !== sa.maxWeight)
      refuse('clip range or max weight differ from the spec');
    return {
      bits: sa.bits,
      scale,
      clipRange: sa.clipRange,
      maxWeight: sa.maxWeight,
      clipNorm: 0,
      noiseMu: 0,
    };
  }

  /**
   * What this silo's records are charged: the Skellam release with the noise of the fewest silos the round can be
   * unmasked with, as the aggregator plans it (this silo cannot know how many survived; more only add noise).
   */
  private skellamCharge(
    spec: JobSpec,
    codec: InputCodec,
    c: SecAggRoundConfig,
  ): SkellamMechanism & { noiseMultiplier: number } {
    const d = c.length;
    const l2 = codec.scale * codec.clipNorm + Math.sqrt(d);
    const l1 = Math.min(l2 * l2, Math.sqrt(d) * l2);
    const n = c.participants.length;
    const floor = Math.min(n, Math.max(minimumSurvivors(configFromWire(c)), spec.minSilos));
    const mu = codec.noiseMu * floor;
    return { mu, l1, l2, noiseMultiplier: Math.sqrt(2 * mu) / l2 };
  }

  private async submit(header: Partial<SecAggHeader>, masked?: Uint8Array): Promise<void> {
    const full: SecAggHeader = {
      jobId: '',
      round: 0,
      siloId: this.config.siloId,
      nonce: new Uint8Array(0),
      step: SecAggStepKind.SEC_AGG_STEP_KIND_UNSPECIFIED,
      keys: undefined,
      selfMaskCommitment: new Uint8Array(0),
      shares: [],
      complaints: [],
      maskedBytes: 0,
      maskedSha256: new Uint8Array(0),
      selfMaskShares: [],
      maskingKeyShares: [],
      exampleCount: 0,
      ...header,
    };
    const chunks: SecAggChunk[] = [
      { header: full },
      ...(masked ? chunkBytes(masked).map((data) => ({ data })) : []),
    ];
    await lastValueFrom(this.federation.secAggSubmit(from(chunks)));
  }
}

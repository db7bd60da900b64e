import { randomInt } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { firstValueFrom, from, lastValueFrom } from 'rxjs';
import type { Logger } from 'pino';
import {
  TaskKind,
  chunkBytes,
  sha256,
  unpackFloat32,
  viewFloat32,
  type FederationServiceClient,
  type JobSpec,
  type ModelChunk,
  type Task,
  type UpdateChunk,
} from '@cohort/protocol';
import { createRandom, deriveSeed, initialWeights } from '@cohort/model';
import { encodeUpdate, encodingName, weightsEncodingOf } from '@cohort/quantization';
import { signDecision, signUpdate, verifyReceipt, type SiloIdentity } from '@cohort/identity';
import { SEALING_SCHEME, generateSealingKeyPair, seal, updateAad } from '@cohort/sealing';
import { binaryMetrics } from '@cohort/evaluation';
import { dpGradientStep, evaluateModel, trainLocal } from '@cohort/training';
import { Accountant, addGaussianNoise, clipToNorm, type StepMechanism } from '@cohort/privacy';
import { PrivacyLedger } from './privacy/privacy-ledger.js';
import type { SiloDataset } from '@cohort/data';
import { SiloConfig } from './config.js';
import { DatasetsService } from './datasets.service.js';
import { FEDERATION_CLIENT } from './federation-client.js';
import { LOGGER } from './logger.provider.js';
import { PolicyService } from './policy.service.js';
import { nextTaskIndex } from './task-order.js';
import { LocalAudit } from './audit/local-audit.service.js';
import { ApprovalsService } from './approvals.service.js';
import { SILO_IDENTITY } from './identity.provider.js';
import { EnclaveRefused, EnclaveTrust, type TrustedEnclave } from './trust/enclave-trust.service.js';
import { SecAggParticipant, type MaskedInputSent } from './secagg/secagg-participant.service.js';

interface AcceptedJob {
  spec: JobSpec;
  dataset: SiloDataset;
  /** DP jobs: this silo's own accountant of what its records have spent in this job. */
  accountant?: Accountant;
}

/** Carries out the aggregator's tasks one at a time, in the order they arrive. */
@Injectable()
export class TaskHandler {
  private readonly accepted = new Map<string, AcceptedJob>();
  private readonly cancelled = new Set<string>();
  /** The last round each job asked this silo to train. */
  private readonly trainedRound = new Map<string, number>();
  private readonly pending: Task[] = [];
  private draining = false;

  constructor(
    private readonly config: SiloConfig,
    private readonly datasets: DatasetsService,
    private readonly policy: PolicyService,
    @Inject(FEDERATION_CLIENT) private readonly federation: FederationServiceClient,
    @Inject(SILO_IDENTITY) private readonly identity: SiloIdentity,
    private readonly enclave: EnclaveTrust,
    private readonly approvals: ApprovalsService,
    @Inject(LOGGER) private readonly log: Logger,
    private readonly audit: LocalAudit,
    private readonly secagg: SecAggParticipant,
  ) {}

  enqueue(task: Task): void {
    // Key exchange runs while the model trains: these steps do not wait behind the train task.
    if (task.kind === TaskKind.TASK_KIND_SECAGG) {
      const job = this.accepted.get(task.jobId);
      if (!job || this.cancelled.has(task.jobId)) {
        this.log.warn(
          { jobId: task.jobId, round: task.round },
          'secure-aggregation step for a job not accepted',
        );
        return;
      }
      this.secagg
        .handle(task, job.spec, (sent) => this.maskedInputSent(job, sent))
        .catch((err: unknown) =>
          this.log.error({ err, jobId: task.jobId, round: task.round }, 'secure-aggregation step failed'),
        );
      return;
    }
    this.pending.push(task);
    if (this.draining) return;
    this.draining = true;
    // The tasks that came with this one (a round's evaluation and the next round's training) are queued first.
    setImmediate(() => void this.drain());
  }

  /** Tasks run one at a time, in the order nextTaskIndex picks. */
  private async drain(): Promise<void> {
    try {
      for (let task = this.next(); task; task = this.next()) {
        await this.handle(task).catch((err: unknown) =>
          this.log.error(
            { err, jobId: task?.jobId, round: task?.round, kind: task ? TaskKind[task.kind] : undefined },
            'task failed',
          ),
        );
      }
    } finally {
      this.draining = false;
    }
  }

  private next(): Task | undefined {
    return this.pending.splice(nextTaskIndex(this.pending), 1)[0];
  }

  private async handle(task: Task): Promise<void> {
    switch (task.kind) {
      case TaskKind.TASK_KIND_OFFER:
        return this.offer(task);
      case TaskKind.TASK_KIND_TRAIN:
        return this.train(task);
      case TaskKind.TASK_KIND_EVALUATE:
        return this.evaluate(task);
      case TaskKind.TASK_KIND_FINISHED:
        this.accepted.delete(task.jobId);
        this.trainedRound.delete(task.jobId);
        this.secagg.forget(task.jobId);
        await this.approvals.forget(task.jobId);
        // What the job spent stays on the ledger; the rest of its reservation is released.
        await (await this.ledger()).finish(task.jobId);
        this.log.info({ audit: true, jobId: task.jobId, outcome: task.reason }, 'job finished');
        await this.audit.record(
          task.reason === 'completed' ? 'job.completed' : 'job.failed',
          `job:${task.jobId}`,
          { jobId: task.jobId, outcome: task.reason },
        );
        await this.audit.checkpoint();
        return;
      case TaskKind.TASK_KIND_CANCEL:
        this.cancelled.add(task.jobId);
        this.accepted.delete(task.jobId);
        this.secagg.forget(task.jobId);
        await this.approvals.forget(task.jobId);
        await (await this.ledger()).finish(task.jobId);
        this.log.info({ jobId: task.jobId, reason: task.reason }, 'job cancelled by the aggregator');
        return;
      default:
        this.log.warn({ kind: task.kind }, 'ignoring a task of an unknown kind');
    }
  }

  private async offer(task: Task): Promise<void> {
    const spec = task.spec;
    let decision = spec
      ? this.policy.judgeJob(spec, task.submittedBy)
      : { accept: false, reason: 'the offer has no job spec' };
    let dataset: SiloDataset | undefined;
    if (decision.accept && spec) {
      try {
        dataset = await this.datasets.load(
          spec.dataset?.id ?? '',
          spec.dataset?.features ?? [],
          this.policy.mappingOf(spec),
        );
        decision = this.policy.judgeData(dataset);
        if (decision.accept) {
          const ledger = await this.ledger();
          decision = this.policy.judgeBudget(spec, ledger.committed(spec.dataset?.id ?? ''));
        }
      } catch (err) {
        decision = { accept: false, reason: `local data cannot be used: ${(err as Error).message}` };
      }
    }
    if (decision.accept && spec && dataset && this.config.policy.approval === 'manual') {
      // A person decides: the offer waits in the silo's state folder for `cohort silo approve|reject`.
      const approved = dataset;
      await this.approvals.hold(
        { jobId: task.jobId, spec, submittedBy: task.submittedBy, checks: decision.reason },
        (d: { accept: boolean; reason: string }) =>
          this.decide(task.jobId, d.accept, d.reason, d.accept ? { spec, dataset: approved } : undefined),
      );
      return;
    }
    await this.decide(
      task.jobId,
      decision.accept,
      decision.reason,
      spec && dataset ? { spec, dataset } : undefined,
    );
  }

  /** Sends a signed decision; only an accepted job's tasks ever reach training. */
  private async decide(
    jobId: string,
    accept: boolean,
    reason: string,
    job: AcceptedJob | undefined,
  ): Promise<void> {
    const privacy = job?.spec.privacy?.enabled ? job.spec.privacy : undefined;
    if (accept && job) {
      this.accepted.set(jobId, { ...job, accountant: privacy ? new Accountant() : undefined });
      if (privacy) {
        // The whole target is reserved now: a job may spend up to it, and the ledger must never be overrun.
        await (
          await this.ledger()
        ).reserve(job.spec.dataset?.id ?? '', jobId, privacy.targetEpsilon, privacy.delta);
        this.log.info(
          { audit: true, jobId, reservedEpsilon: privacy.targetEpsilon, delta: privacy.delta },
          'privacy budget reserved',
        );
      }
      await this.warmUp(job);
    }
    // DP: the expected batch size needs the silo's size; rounded to 10 and treated as public (privacy statement).
    const declaredRecords = accept && job && privacy ? Math.round(job.dataset.train.n / 10) * 10 : 0;
    this.log.info({ audit: true, jobId, accept, reason }, 'decided on a job offer');
    await this.audit.record(accept ? 'job.accepted' : 'job.declined', `job:${jobId}`, {
      jobId,
      siloId: this.config.siloId,
      reason,
      ...(job ? { datasetId: job.spec.dataset?.id ?? '', records: job.dataset.train.n } : {}),
      ...(privacy ? { reservedEpsilon: privacy.targetEpsilon, delta: privacy.delta } : {}),
    });
    const signature = await signDecision(this.identity, {
      jobId,
      siloId: this.config.siloId,
      round: 0,
      accept,
      reason,
    });
    await firstValueFrom(
      this.federation.decide({
        jobId,
        siloId: this.config.siloId,
        accept,
        reason,
        signature,
        round: 0,
        declaredRecords,
      }),
    );
  }

  private async train(task: Task): Promise<void> {
    const job = this.accepted.get(task.jobId) ?? (await this.rejoin(task));
    if (!job || this.cancelled.has(task.jobId)) {
      this.log.warn(
        { jobId: task.jobId, round: task.round },
        'train task for a job this silo has not accepted',
      );
      return;
    }
    if (job.spec.secureAggregation) {
      // No enclave: the update leaves only masked, at the round's MASK step (secagg/).
      const global = await this.globalModel(task, task.round - 1);
      const result = await this.localUpdate(job, task, global);
      this.secagg.provideUpdate(task, job.spec, result);
      return;
    }
    // A round sent again was restarted, by a restarted aggregator or by the replica that took the job over: its
    // enclave may not be the one verified before, so it is verified afresh.
    if (task.round <= (this.trainedRound.get(task.jobId) ?? 0)) this.enclave.forgetJob(task.jobId);
    this.trainedRound.set(task.jobId, task.round);
    // The enclave check runs while the model trains; its outcome is awaited before anything is sealed.
    const attested = this.enclave.verifyFor(task.jobId, task.round);
    attested.catch(() => undefined);
    const global = await this.globalModel(task, task.round - 1);
    const result = await this.localUpdate(job, task, global);
    let enclave: TrustedEnclave;
    try {
      enclave = await attested;
    } catch (err) {
      if (!(err instanceof EnclaveRefused)) throw err;
      // Nothing is sent: the silo declines this round, signed, with the reason.
      await this.declineRound(task, err.message);
      return;
    }
    const identityClaims = { jobId: task.jobId, round: task.round, siloId: this.config.siloId };
    // Packed in the job's wire encoding. Under local DP the noise is already in, so rounding is post-processing;
    // at silo level the enclave clips what it decodes; central patient-level DP is float32 only (job spec).
    // int8's stochastic rounding needs no secrecy, only independence: a fresh seed per update.
    const encoding = weightsEncodingOf(job.spec.wire?.encoding);
    const plaintext = encodeUpdate(result.update, encoding, createRandom(randomInt(2 ** 48 - 1)));
    // The encoding is bound twice: in the sealing AAD (the enclave decodes what it opened as exactly that) and
    // in the signature (the host refuses a relabelled header before it reads the payload).
    const wireEncoding = encodingName(encoding);
    const sealed = await seal(
      enclave.hpkePublicKey,
      plaintext,
      updateAad({ ...identityClaims, wireEncoding }),
    );
    plaintext.fill(0);
    const digest = sha256(sealed);
    const signatureJws = await signUpdate(this.identity, {
      ...identityClaims,
      nonce: task.nonce,
      payloadSha256: digest,
      exampleCount: result.exampleCount,
      sealing: SEALING_SCHEME,
      wireEncoding,
    });
    const chunks: UpdateChunk[] = [
      {
        header: {
          jobId: task.jobId,
          round: task.round,
          siloId: this.config.siloId,
          nonce: task.nonce,
          exampleCount: result.exampleCount,
          payloadSha256: digest,
          encoding,
          payloadBytes: sealed.byteLength,
          signatureJws,
          trainMs: Math.round(result.trainMs),
          sealing: SEALING_SCHEME,
        },
      },
      ...chunkBytes(sealed).map((data) => ({ data })),
    ];
    const receipt = await lastValueFrom(this.federation.upload(from(chunks)));
    await verifyReceipt(receipt.signature, enclave.signingKey, {
      ...identityClaims,
      payloadSha256: digest,
      receivedAtUnixMs: receipt.receivedAtUnixMs,
    });
    const epsilonCumulative = await this.chargePrivacy(job, task);
    await this.audit.record('update.sent', `job:${task.jobId}`, {
      jobId: task.jobId,
      round: task.round,
      siloId: this.config.siloId,
      updateDigest: digest.toString('hex'),
      bytes: sealed.byteLength,
      encoding: encodingName(encoding),
      exampleCount: result.exampleCount,
      enclaveMeasurement: enclave.measurement,
      receiptSha256: sha256(Buffer.from(receipt.signature)).toString('hex'),
      ...(epsilonCumulative === undefined ? {} : { epsilonCumulative }),
    });
    this.log.info(
      {
        audit: true,
        jobId: task.jobId,
        round: task.round,
        sealedSha256: digest.toString('hex'),
        bytes: sealed.byteLength,
        enclaveMeasurement: enclave.measurement,
        receipt: receipt.signature,
      },
      'update sent',
    );
  }

  /**
   * A train task for a job this process does not hold, after the agent restarted mid-job: a job its own log shows
   * it accepted is taken up again, its data checked anew and nothing reserved twice. Not a DP job: its per-job
   * accountant did not survive the restart, so the silo declines that job's rounds rather than under-count them.
   */
  private async rejoin(task: Task): Promise<AcceptedJob | undefined> {
    const spec = task.spec;
    if (!spec || this.cancelled.has(task.jobId) || !(await this.audit.hasAccepted(task.jobId)))
      return undefined;
    if (spec.privacy?.enabled) {
      await this.declineRound(
        task,
        'the silo agent restarted during this job and its privacy accountant for the job did not survive',
      );
      return undefined;
    }
    try {
      const dataset = await this.datasets.load(
        spec.dataset?.id ?? '',
        spec.dataset?.features ?? [],
        this.policy.mappingOf(spec),
      );
      const checked = this.policy.judgeData(dataset);
      if (!checked.accept) {
        this.log.warn({ jobId: task.jobId, reason: checked.reason }, 'cannot rejoin the job');
        return undefined;
      }
      const job: AcceptedJob = { spec, dataset };
      this.accepted.set(task.jobId, job);
      this.log.info(
        { audit: true, jobId: task.jobId, round: task.round },
        'rejoined a job this silo accepted before the agent restarted',
      );
      await this.warmUp(job);
      return job;
    } catch (err) {
      this.log.warn({ jobId: task.jobId, err }, 'cannot rejoin the job: its data cannot be loaded');
      return undefined;
    }
  }

  /**
   * Runs each step of a round once on a handful of records, results discarded, so the first real round does not
   * pay for compiling the model and the crypto code paths (it would otherwise be several times slower).
   */
  private async warmUp({ spec, dataset }: AcceptedJob): Promise<void> {
    const model = spec.model ?? { template: 'logreg', hiddenUnits: [] };
    const rows = Math.min(dataset.train.n, 16);
    const d = dataset.train.d;
    const sample = {
      x: dataset.train.x.subarray(0, rows * d),
      y: dataset.train.y.subarray(0, rows),
      n: rows,
      d,
    };
    const weights = initialWeights(model, d, spec.seed);
    const trained = await trainLocal(model, d, weights, sample, {
      epochs: 1,
      batchSize: 8,
      learningRate: 0.01,
      seed: 1,
    });
    await evaluateModel(model, d, trained.weights, sample);
    const scratch = await generateSealingKeyPair();
    const claims = { jobId: 'warm-up', round: 1, siloId: this.config.siloId };
    const packed = encodeUpdate(trained.delta, weightsEncodingOf(spec.wire?.encoding), createRandom(1));
    const sealed = await seal(scratch.publicKeyRaw, packed, updateAad(claims));
    await signUpdate(this.identity, {
      ...claims,
      nonce: Buffer.alloc(16),
      payloadSha256: sha256(sealed),
      exampleCount: rows,
      sealing: SEALING_SCHEME,
    });
  }

  /**
   * What this silo contributes to a round. Without DP: the delta of local training, weighted by its record
   * count. Patient-level DP: one DP-SGD step's sum of per-record clipped gradients over a Poisson sample (no count
   * leaves); in local mode the silo adds N(0, σ²C²) itself. Silo-level DP: the training delta, clipped to C and
   * noised here in local mode (the enclave clips and noises in central mode).
   */
  private async localUpdate(
    job: AcceptedJob,
    task: Task,
    global: Float32Array,
  ): Promise<{ update: Float32Array; exampleCount: number; trainMs: number }> {
    const { spec, dataset } = job;
    const model = spec.model ?? { template: 'logreg', hiddenUnits: [] };
    const seed = deriveSeed(spec.seed, task.round, hashString(this.config.siloId));
    const privacy = spec.privacy?.enabled ? spec.privacy : undefined;
    const dp = task.dp;
    if (privacy && dp && privacy.level !== 'silo') {
      // The Poisson sample must be unpredictable from outside the silo (the accountant assumes so): a fresh
      // secret seed each round, not one derived from the job's public seed.
      const step = await dpGradientStep(model, dataset.train.d, global, dataset.train, {
        samplingRate: dp.samplingRate,
        clipNorm: dp.clipNorm,
        seed: randomInt(2 ** 31),
      });
      const update =
        privacy.mode === 'local'
          ? addGaussianNoise(step.clippedGradientSum, dp.noiseMultiplier * dp.clipNorm)
          : step.clippedGradientSum;
      return { update, exampleCount: 0, trainMs: step.trainMs };
    }
    const local = spec.local ?? { epochs: 1, batchSize: 32, learningRate: 0.1 };
    const trained = await trainLocal(model, dataset.train.d, global, dataset.train, { ...local, seed });
    if (privacy && dp) {
      const update =
        privacy.mode === 'local'
          ? addGaussianNoise(clipToNorm(trained.delta, dp.clipNorm).clipped, dp.noiseMultiplier * dp.clipNorm)
          : trained.delta;
      return { update, exampleCount: 0, trainMs: trained.trainMs };
    }
    return { update: trained.delta, exampleCount: dataset.train.n, trainMs: trained.trainMs };
  }

  /** A masked input left the silo (secure aggregation): the local log and, under DP, the ledger. */
  private async maskedInputSent(job: AcceptedJob, sent: MaskedInputSent): Promise<void> {
    const { task } = sent;
    const epsilonCumulative = sent.skellam
      ? await this.chargePrivacy(job, task, {
          samplingRate: 1,
          noiseMultiplier: sent.skellam.noiseMultiplier,
          skellam: { mu: sent.skellam.mu, l1: sent.skellam.l1, l2: sent.skellam.l2 },
        })
      : undefined;
    await this.audit.record('update.sent', `job:${task.jobId}`, {
      jobId: task.jobId,
      round: task.round,
      siloId: this.config.siloId,
      updateDigest: sent.digest,
      bytes: sent.bytes,
      encoding: 'secagg-masked',
      exampleCount: sent.exampleCount,
      ...(epsilonCumulative === undefined ? {} : { epsilonCumulative }),
    });
    this.log.info(
      { audit: true, jobId: task.jobId, round: task.round, maskedSha256: sent.digest, bytes: sent.bytes },
      'masked update sent',
    );
  }

  /**
   * After an update counted: this silo's own account of what the job has spent of its records' privacy. Under
   * secure aggregation the step is the Skellam release with every silo's noise share in (`step`).
   */
  private async chargePrivacy(
    job: AcceptedJob,
    task: Task,
    step?: StepMechanism,
  ): Promise<number | undefined> {
    const privacy = job.spec.privacy?.enabled ? job.spec.privacy : undefined;
    if (!privacy || !job.accountant || (!task.dp && !step)) return undefined;
    job.accountant.record(
      step ?? { samplingRate: task.dp?.samplingRate ?? 1, noiseMultiplier: task.dp?.noiseMultiplier ?? 0 },
    );
    const { epsilon } = job.accountant.spent(privacy.delta);
    await (await this.ledger()).charge(task.jobId, epsilon, job.accountant.totalSteps);
    this.log.info(
      { audit: true, jobId: task.jobId, round: task.round, epsilonSpent: epsilon, delta: privacy.delta },
      'privacy spent',
    );
    await this.audit.record('privacy.spent', `job:${task.jobId}`, {
      jobId: task.jobId,
      round: task.round,
      epsilonCumulative: epsilon,
      delta: privacy.delta,
    });
    return epsilon;
  }

  private ledgerPromise: Promise<PrivacyLedger> | undefined;

  private ledger(): Promise<PrivacyLedger> {
    this.ledgerPromise ??= PrivacyLedger.open(this.config.stateDir);
    return this.ledgerPromise;
  }

  private async declineRound(task: Task, reason: string): Promise<void> {
    const claims = {
      jobId: task.jobId,
      siloId: this.config.siloId,
      round: task.round,
      accept: false,
      reason,
    };
    const signature = await signDecision(this.identity, claims);
    await firstValueFrom(this.federation.decide({ ...claims, signature, declaredRecords: 0 }));
    this.log.warn(
      { audit: true, jobId: task.jobId, round: task.round, reason },
      'declined the round: nothing was sent',
    );
    await this.audit.record('round.declined', `job:${task.jobId}`, {
      jobId: task.jobId,
      round: task.round,
      reason,
    });
  }

  private async evaluate(task: Task): Promise<void> {
    const job = this.accepted.get(task.jobId);
    if (!job || this.cancelled.has(task.jobId)) return;
    const { spec, dataset } = job;
    const weights = await this.globalModel(task, task.round);
    const { scores, labels } = await evaluateModel(
      spec.model ?? { template: 'logreg', hiddenUnits: [] },
      dataset.test.d,
      weights,
      dataset.test,
    );
    const metrics = binaryMetrics(scores, labels);
    const report = firstValueFrom(
      this.federation.reportMetrics({
        jobId: task.jobId,
        round: task.round,
        siloId: this.config.siloId,
        metrics,
      }),
    ).then(
      () => undefined,
      (err: unknown) =>
        this.log.warn(
          { jobId: task.jobId, round: task.round, reason: (err as Error).message },
          "the aggregator refused or missed this round's held-out metrics",
        ),
    );
    // The next task does not wait for the aggregator's answer.
    void report;
  }

  /**
   * The task's model: inline when small (checked against its digest), otherwise fetched in chunks. Read-only: a
   * fetched model is the same array for the round's training and its evaluation (neither writes to it).
   */
  private async globalModel(task: Task, round: number): Promise<Float32Array> {
    const inline = task.modelWeights;
    if (inline && inline.byteLength > 0) {
      if (!sha256(inline).equals(Buffer.from(task.globalModel?.sha256 ?? new Uint8Array(0)))) {
        throw new Error(
          `the model sent with the task for job ${task.jobId} round ${task.round} fails its digest check`,
        );
      }
      return unpackFloat32(inline);
    }
    const wanted = task.globalModel?.round ?? round;
    const digest = Buffer.from(task.globalModel?.sha256 ?? new Uint8Array(0));
    const last = this.lastFetched;
    // The evaluation of round r and the training of round r + 1 use the same model: fetched once.
    if (last && last.jobId === task.jobId && last.round === wanted && last.sha256.equals(digest)) {
      return last.weights;
    }
    return this.fetchModel(task.jobId, wanted, task.globalModel?.parameterCount ?? 0, digest);
  }

  /** The last model fetched with GetModel (large models do not ride with their task). */
  private lastFetched: { jobId: string; round: number; sha256: Buffer; weights: Float32Array } | undefined;

  /**
   * The model's chunks go straight into one buffer sized from its header (no list of chunks, no concatenation): a
   * process holding many silos fetches a model per silo per round. The bytes must hash to the digest the task
   * named (when it names one), not merely to the one the stream itself carries.
   */
  private async fetchModel(
    jobId: string,
    round: number,
    parameterCount: number,
    expectedSha256: Buffer,
  ): Promise<Float32Array> {
    let header: ModelChunk['header'];
    let bytes: Buffer | undefined;
    let received = 0;
    const what = `the model of job ${jobId} round ${round}`;
    await this.federation.getModel({ jobId, round, siloId: this.config.siloId }).forEach((chunk) => {
      if (!bytes) {
        header = chunk.header;
        if (!header) throw new Error(`${what} arrived without its header`);
        if (parameterCount > 0 ? header.totalBytes !== parameterCount * 4 : header.totalBytes % 4 !== 0) {
          throw new Error(
            `${what} declares ${header.totalBytes} bytes; ${parameterCount || 'whole'} float32 parameters expected`,
          );
        }
        // Memory of its own, so the weights can be viewed in place from offset 0.
        bytes = Buffer.allocUnsafeSlow(header.totalBytes);
        return;
      }
      const data = chunk.data ?? new Uint8Array(0);
      if (chunk.header || received + data.byteLength > bytes.byteLength) {
        throw new Error(`${what} is longer than the ${bytes.byteLength} bytes its header declared`);
      }
      bytes.set(data, received);
      received += data.byteLength;
    });
    if (!header || !bytes) throw new Error(`${what} arrived without its header`);
    const digest = sha256(bytes);
    if (received !== bytes.byteLength || !digest.equals(Buffer.from(header.sha256))) {
      throw new Error(`${what} arrived incomplete or corrupted`);
    }
    if (expectedSha256.byteLength > 0 && !digest.equals(expectedSha256)) {
      throw new Error(`${what} is not the model the task named (its SHA-256 differs)`);
    }
    const weights = viewFloat32(bytes);
    this.lastFetched = { jobId, round, sha256: Buffer.from(header.sha256), weights };
    return weights;
  }
}

/** A stable 32-bit number per silo, so silos shuffle differently under the same job seed. */
function hashString(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

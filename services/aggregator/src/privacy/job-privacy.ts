import { Accountant, calibrateNoiseMultiplier, type StepMechanism } from '@cohort/privacy';
import type { JobSpec, PrivacySpec, PrivacyStatement } from '@cohort/protocol';

/**
 * A DP job's privacy bookkeeping on the aggregator: the calibrated mechanism, the accountant charged once per
 * aggregated round, and the statement released with the model.
 */
export class JobPrivacy {
  /**
   * Distributed DP (secure aggregation): the Skellam step a round is worth when `survivors` silos' noise is in the
   * sum, and the fewest survivors a round can close with (the worst case a round is planned for).
   */
  private distributed?: { stepFor: (survivors: number) => StepMechanism; minimumSurvivors: number };
  /** The step the last secure-aggregation round is charged with, once its survivors are known. */
  private pendingStep?: StepMechanism;

  private constructor(
    readonly spec: PrivacySpec,
    private readonly accountant: Accountant,
  ) {}

  /** undefined when the job is not differentially private. */
  static of(spec: JobSpec, state: unknown): JobPrivacy | undefined {
    const p = spec.privacy;
    if (!p?.enabled) return undefined;
    return new JobPrivacy(p, state ? Accountant.fromJSON(state) : new Accountant());
  }

  /** The noise multiplier that spends exactly the target over the planned rounds (one DP step per round). */
  static calibrate(spec: JobSpec): PrivacySpec | undefined {
    const p = spec.privacy;
    if (!p?.enabled || p.noiseMultiplier > 0) return p;
    const { noiseMultiplier } = calibrateNoiseMultiplier({
      targetEpsilon: p.targetEpsilon,
      delta: p.delta,
      samplingRate: p.samplingRate,
      steps: spec.rounds,
    });
    return { ...p, noiseMultiplier };
  }

  get noiseStd(): number {
    return this.spec.noiseMultiplier * this.spec.clipNorm;
  }

  /** Whether one more round stays within the target (the job stops before a round that would exceed it). */
  allowsAnotherRound(): boolean {
    const step = this.distributed
      ? { ...this.distributed.stepFor(this.distributed.minimumSurvivors), count: 1 }
      : this.step(1);
    const next = this.accountant.predict(step, this.spec.delta);
    return next.epsilon <= this.spec.targetEpsilon * (1 + 1e-9);
  }

  /** Secure aggregation: rounds are charged the Skellam noise of their survivors from now on. */
  useDistributedNoise(stepFor: (survivors: number) => StepMechanism, minimumSurvivors: number): void {
    this.distributed = { stepFor, minimumSurvivors };
  }

  /** Secure aggregation: how many silos' noise the round just unmasked carries. */
  setSurvivors(survivors: number): void {
    if (!this.distributed) throw new Error('setSurvivors is for distributed noise only');
    this.pendingStep = this.distributed.stepFor(survivors);
  }

  /** Charges one round; returns the cumulative epsilon. */
  charge(): number {
    if (this.spec.mode === 'distributed') {
      // A round released without its survivors known would be charged nothing: refuse rather than under-charge.
      if (!this.pendingStep)
        throw new Error('a distributed-noise round is charged only once its survivors are known');
      this.accountant.record(this.pendingStep);
      this.pendingStep = undefined;
    } else this.accountant.record(this.step(1));
    return this.spent().epsilon;
  }

  spent(): { epsilon: number; order: number } {
    return this.accountant.totalSteps === 0
      ? { epsilon: 0, order: 0 }
      : this.accountant.spent(this.spec.delta);
  }

  state(): unknown {
    return this.accountant.toJSON();
  }

  statement(): PrivacyStatement {
    const { epsilon, order } = this.spent();
    const patient = this.spec.level !== 'silo';
    if (this.spec.mode === 'distributed') {
      return {
        mechanism:
          'Skellam mechanism on per-silo clipped, quantized updates, noise added in shares by the silos',
        level: this.spec.level,
        mode: this.spec.mode,
        epsilon,
        delta: this.spec.delta,
        targetEpsilon: this.spec.targetEpsilon,
        rounds: this.accountant.totalSteps,
        noiseMultiplier: this.spec.noiseMultiplier,
        clipNorm: this.spec.clipNorm,
        samplingRate: this.spec.samplingRate,
        accountant:
          'RDP of the Skellam mechanism at integer orders (Agarwal, Kairouz, Liu 2021), tight conversion (Balle et al. 2020)',
        order,
        notes:
          'Secure aggregation (pairwise masking, no enclave): the aggregator saw only the masked sum. DP is distributed: ' +
          'each silo added its share of the Skellam noise, and each round is charged the noise of the silos whose ' +
          'inputs were in the sum. Norm bounding is done by each silo and proven by nothing: a silo that skips its ' +
          'clipping or its noise weakens this guarantee, and no party can detect it. Every accepted silo takes part ' +
          'in every round (sampling rate 1).',
      };
    }
    return {
      mechanism: patient
        ? 'Gaussian mechanism on Poisson-subsampled per-record clipped gradients (DP-SGD)'
        : 'Gaussian mechanism on per-silo clipped updates',
      level: this.spec.level,
      mode: this.spec.mode,
      epsilon,
      delta: this.spec.delta,
      targetEpsilon: this.spec.targetEpsilon,
      rounds: this.accountant.totalSteps,
      noiseMultiplier: this.spec.noiseMultiplier,
      clipNorm: this.spec.clipNorm,
      samplingRate: this.spec.samplingRate,
      accountant: 'RDP of the Poisson-subsampled Gaussian, tight conversion (Balle et al. 2020)',
      order,
      notes:
        (this.spec.mode === 'central'
          ? 'Noise added once, inside the attested enclave. '
          : 'Noise added by each silo before sealing; the enclave adds none. ') +
        (patient
          ? 'Silos declared their training-set sizes rounded to 10; those sizes are treated as public.'
          : 'Every accepted silo takes part in every round (sampling rate 1).'),
    };
  }

  private step(count: number): { samplingRate: number; noiseMultiplier: number; count: number } {
    return { samplingRate: this.spec.samplingRate, noiseMultiplier: this.spec.noiseMultiplier, count };
  }
}

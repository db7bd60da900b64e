import { Accountant, calibrateNoiseMultiplier } from '@cohort/privacy';
import type { JobSpec, PrivacySpec, PrivacyStatement } from '@cohort/protocol';

/**
 * A DP job's privacy bookkeeping on the aggregator: the calibrated mechanism, the accountant charged once per
 * aggregated round, and the statement released with the model.
 */
export class JobPrivacy {
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
    const next = this.accountant.predict(this.step(1), this.spec.delta);
    return next.epsilon <= this.spec.targetEpsilon * (1 + 1e-9);
  }

  /** Charges one round; returns the cumulative epsilon. */
  charge(): number {
    this.accountant.record(this.step(1));
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

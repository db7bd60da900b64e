// ℓ2 sensitivity of each rule under DP (Abadi et al. 2016 for the clipped sum; McMahan et al. 2018 for silo level).

export type PrivacyLevel = 'patient' | 'silo';

export interface SensitivityBound {
  /** The largest ℓ2 change of the rule's output when one record (patient) or one silo (silo) is added or removed. */
  l2(clipNorm: number): number;
  why: string;
}

/**
 * Every rule declares its bound, or none. With DP on, a rule without a bound for the job's level is refused:
 * the noise is calibrated to this number, so an unproven one would make the privacy statement false.
 */
export const RULE_SENSITIVITY: Readonly<Record<string, Partial<Record<PrivacyLevel, SensitivityBound>>>> = {
  fedavg: {
    patient: {
      l2: (c) => c,
      why: 'under DP the rule releases the sum of per-record gradients each clipped to C: one record moves it by at most C',
    },
    silo: {
      l2: (c) => c,
      why: 'under DP each silo update is clipped to C before the sum: one silo moves it by at most C',
    },
  },
};

export function sensitivityOf(rule: string, level: PrivacyLevel): SensitivityBound | undefined {
  return RULE_SENSITIVITY[rule]?.[level];
}

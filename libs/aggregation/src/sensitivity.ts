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
  // Under DP norm bounding runs as FedAvg does, an unweighted sum (counts are private), of updates each projected
  // onto the ball of radius r. Projection onto a convex set is non-expansive, which gives both bounds.
  'norm-bounding': {
    patient: {
      l2: (c) => c,
      why: "one record moves its silo's sum of clipped gradients by at most C, and projecting onto the radius-r ball never lengthens a difference, so the released sum of projected updates moves by at most C",
    },
    silo: {
      l2: (c) => c,
      why: 'each silo update is clipped to C and projected to radius r before the sum: adding or removing one silo moves it by at most min(r, C) ≤ C',
    },
  },
};

/**
 * Rules that declare no sensitivity bound at either level, with the reason. None of them releases a sum the
 * Gaussian noise can be calibrated to: removing one silo can switch which value or update they output, by a gap
 * set by the other silos' data. Bounds of that kind exist in the literature only under extra assumptions (bounded
 * data, smooth sensitivity) that the accountant does not model, so a DP job with one of these rules is refused.
 */
export const NO_SENSITIVITY_BOUND: Readonly<Record<string, string>> = {
  median:
    'removing one silo moves each coordinate to a neighbouring order statistic, a gap set by the other silos, not by C',
  'trimmed-mean':
    'removing one silo shifts both cuts to neighbouring order statistics, so the kept values change by gaps the other silos set',
  krum: 'one silo can change which update is selected; the jump is the distance between two other silos’ updates',
  'multi-krum':
    'one silo can change the selected set, so the mean jumps by differences between other silos’ updates',
  'geometric-median':
    'the median of the remaining silos moves by an amount that depends on their spread, which C does not bound',
  'centered-clipping':
    'each step is a clipped mean, but the clipping centre itself depends on every silo, and no bound on the iterated map is proven',
};

export function sensitivityOf(rule: string, level: PrivacyLevel): SensitivityBound | undefined {
  return RULE_SENSITIVITY[rule]?.[level];
}

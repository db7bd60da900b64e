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
 * Rules that declare no sensitivity bound at either level, with the reason, so a DP job with one of them is
 * refused. At silo level each can jump, when one silo joins or leaves, by a gap the other silos' updates set, which
 * the clip norm does not bound. At patient level the coordinate-wise rules do move by at most the record's change
 * (order statistics are 1-Lipschitz), but the accountant's subsampled-Gaussian analysis is proven for a released
 * sum, and nothing here proves it carries over to a median or a trimmed mean; an unproven bound would make the
 * privacy statement false.
 */
export const NO_SENSITIVITY_BOUND: Readonly<Record<string, string>> = {
  median:
    'removing one silo moves each coordinate to a neighbouring order statistic, a gap set by the other silos, not by C; at patient level the accountant is proven only for sums',
  'trimmed-mean':
    'removing one silo shifts both cuts to neighbouring order statistics, a gap set by the other silos, not by C; at patient level the accountant is proven only for sums',
  krum: 'one silo can change which update is selected, so the output jumps by the distance between two other silos’ updates',
  'multi-krum':
    'one silo can change the selected set, so the mean jumps by differences between other silos’ updates',
  'geometric-median':
    'removing one silo moves the median by an amount that depends on how the others are spread, which C does not bound',
  'centered-clipping':
    'each step is a clipped mean, but the centre it clips around depends on every silo, and no bound on the iterated map is proven',
};

export function sensitivityOf(rule: string, level: PrivacyLevel): SensitivityBound | undefined {
  return RULE_SENSITIVITY[rule]?.[level];
}

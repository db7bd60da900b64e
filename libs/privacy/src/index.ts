export * from './errors.js';
export { DEFAULT_ORDERS } from './orders.js';
export {
  MAX_FRACTIONAL_TERMS,
  logAFractional,
  logAInteger,
  rdpSubsampledGaussian,
  subsampledGaussianRdp,
} from './rdp-subsampled-gaussian.js';
export { addRdp, composeRdp } from './rdp-composition.js';
export { skellamRdp, type SkellamMechanism } from './rdp-skellam.js';
export { deltaFromRdp, epsilonFromRdp, type DeltaAndOrder, type EpsilonAndOrder } from './rdp-to-dp.js';
export { dpSgdDelta, dpSgdEpsilon, dpSgdRdp, type SampledGaussianRun } from './dp-sgd-epsilon.js';
export {
  DEFAULT_RELATIVE_TOLERANCE,
  MAX_NOISE_MULTIPLIER,
  MIN_NOISE_MULTIPLIER,
  calibrateNoiseMultiplier,
  type Calibration,
  type CalibrationRequest,
} from './calibrate.js';
export {
  ACCOUNTANT_FORMAT,
  Accountant,
  type AccountantState,
  type PrivacySpent,
  type RecordedSteps,
  type StepMechanism,
} from './accountant.js';
export { addGaussianNoise, clipToNorm } from './gaussian-noise.js';

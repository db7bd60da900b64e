// One entry point for the server-side update ServerOpt(w, Δ) of the FedOpt framework (Reddi et al. 2021, "Adaptive Federated Optimization", Algorithm 1).
import { AggregationError } from './errors.js';
import { fedAdamStep } from './fedadam.js';
import { fedAvgMStep } from './fedavgm.js';
import { serverSgdStep } from './server-sgd.js';

export type ServerOptimizerKind = 'none' | 'fedavgm' | 'fedadam';

export const SERVER_OPTIMIZER_KINDS: readonly ServerOptimizerKind[] = ['none', 'fedavgm', 'fedadam'];

export interface ServerOptimizerParams {
  /** η, the server learning rate; 1 with kind 'none' is plain FedAvg. */
  learningRate: number;
  /** β of FedAvgM, in [0, 1). */
  momentum: number;
  /** β₁ of FedAdam, in [0, 1). */
  beta1: number;
  /** β₂ of FedAdam, in [0, 1). */
  beta2: number;
  /** τ of FedAdam, > 0. */
  tau: number;
}

/**
 * Defaults for parameters the caller leaves out. learningRate 1 makes 'none' plain FedAvg; FedAdam usually
 * wants a smaller η (the paper tunes it per task, often 1e-2 to 1). β₁ = 0.9, β₂ = 0.99 and τ = 1e-3 are
 * the paper's choices for FedAdam; momentum 0.9 is the usual FedAvgM β.
 */
export const DEFAULT_SERVER_OPTIMIZER_PARAMS: Readonly<ServerOptimizerParams> = Object.freeze({
  learningRate: 1,
  momentum: 0.9,
  beta1: 0.9,
  beta2: 0.99,
  tau: 1e-3,
});

/**
 * What a server optimiser carries from one round to the next; plain data (Float32Arrays and a count), so
 * it can be stored with encodeOptimizerState and a restarted aggregator resumes exactly where it stopped.
 * `steps` counts the rounds applied, which lets the caller check the state belongs to the round it resumes.
 */
export type ServerOptimizerState =
  | { kind: 'none'; steps: number }
  | { kind: 'fedavgm'; steps: number; velocity: Float32Array }
  | { kind: 'fedadam'; steps: number; m: Float32Array; v: Float32Array };

/**
 * Applies one round's aggregated delta to the global weights. `state` is undefined on the first round and
 * otherwise the state this function returned last round; state of another kind is refused (STATE_MISMATCH)
 * rather than silently reset, because switching optimiser mid-job is a configuration mistake. Pass
 * undefined deliberately to start the optimiser afresh. Inputs are never modified.
 */
export function applyServerOptimizer(
  kind: ServerOptimizerKind,
  params: Partial<ServerOptimizerParams>,
  weights: Float32Array,
  delta: Float32Array,
  state: ServerOptimizerState | undefined,
): { weights: Float32Array; state: ServerOptimizerState } {
  const p: ServerOptimizerParams = { ...DEFAULT_SERVER_OPTIMIZER_PARAMS, ...definedOnly(params) };
  if (state && state.kind !== kind) {
    throw new AggregationError(
      'STATE_MISMATCH',
      `saved server optimiser state is for '${state.kind}' but the job uses '${kind}'`,
    );
  }
  const steps = (state?.steps ?? 0) + 1;
  switch (kind) {
    case 'none':
      return { weights: serverSgdStep(weights, delta, p.learningRate), state: { kind, steps } };
    case 'fedavgm': {
      const previous = state?.kind === 'fedavgm' ? state.velocity : undefined;
      const r = fedAvgMStep(weights, delta, previous, p);
      return { weights: r.weights, state: { kind, steps, velocity: r.velocity } };
    }
    case 'fedadam': {
      const previous = state?.kind === 'fedadam' ? state : undefined;
      const r = fedAdamStep(weights, delta, previous, p);
      return { weights: r.weights, state: { kind, steps, m: r.m, v: r.v } };
    }
    default:
      throw new AggregationError(
        'INVALID_PARAMETER',
        `unknown server optimiser '${String(kind)}'; expected one of ${SERVER_OPTIMIZER_KINDS.join(', ')}`,
      );
  }
}

// A config layer may hand over `{ momentum: undefined }`; that must mean "use the default", not NaN.
function definedOnly(params: Partial<ServerOptimizerParams>): Partial<ServerOptimizerParams> {
  return Object.fromEntries(Object.entries(params).filter(([, v]) => v !== undefined));
}

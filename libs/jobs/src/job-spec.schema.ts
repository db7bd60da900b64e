// The researcher-facing job spec: strict JSON in, a fully populated protocol JobSpec out. Every default lives
// here so the gateway, the CLI and the aggregator agree on what an omitted field means.
import type { JobSpec, ServerOptimizer } from '@cohort/protocol';
import { AGGREGATION_RULE_NAMES, ruleParamIssues, type AggregationRuleName } from '@cohort/aggregation';
import { WIRE_ENCODINGS } from '@cohort/quantization';
import { fhirMappingSchema, fhirMappingToProto, mappingFeatureIssues } from '@cohort/fhir';
import { z } from 'zod';

export const MODEL_TEMPLATES = ['logreg', 'mlp'] as const;
export type ModelTemplate = (typeof MODEL_TEMPLATES)[number];

/** The rules of `@cohort/aggregation`'s registry: one list, so the spec can name no rule the enclave lacks. */
export const AGGREGATION_RULES = AGGREGATION_RULE_NAMES;
export type AggregationRule = AggregationRuleName;

export const SERVER_OPTIMIZER_KINDS = ['none', 'fedavgm', 'fedadam'] as const;
export type ServerOptimizerKind = (typeof SERVER_OPTIMIZER_KINDS)[number];

/** The largest value a proto uint32 field carries; bigger numbers would wrap on the wire. */
const UINT32_MAX = 4_294_967_295;

export const JOB_SPEC_LIMITS = {
  nameLength: { min: 1, max: 200 },
  datasetIdLength: { min: 1, max: 200 },
  featureNameLength: { min: 1, max: 200 },
  features: { min: 1, max: 1000 },
  hiddenLayers: { min: 1, max: 4 },
  hiddenUnits: { min: 1, max: 4096 },
  rounds: { min: 1, max: 10_000 },
  minSilos: { min: 1, max: UINT32_MAX },
  roundTimeoutMs: { min: 1000, max: 86_400_000 },
  offerTimeoutMs: { min: 1000, max: 86_400_000 },
  gracePeriodMs: { min: 0, max: 86_400_000 },
  epochs: { min: 1, max: 1000 },
  batchSize: { min: 1, max: 65_536 },
  /** Exclusive lower bound: a zero learning rate trains nothing. */
  learningRate: { above: 0, max: 10 },
  seed: { min: 0, max: UINT32_MAX },
} as const;

export const JOB_SPEC_DEFAULTS = {
  hiddenUnits: [16],
  minSilos: 1,
  roundTimeoutMs: 120_000,
  offerTimeoutMs: 30_000,
  gracePeriodMs: 30_000,
  epochs: 1,
  batchSize: 32,
  learningRate: 0.1,
  aggregationRule: 'fedavg',
  serverOptimizerKind: 'none',
  seed: 0,
} as const;

/**
 * Defaults per server optimiser (Reddi et al., Adaptive Federated Optimization). Parameters a kind does not use
 * are 0 so the protocol message stays well defined.
 */
export const SERVER_OPTIMIZER_DEFAULTS: Readonly<Record<ServerOptimizerKind, Readonly<ServerOptimizer>>> = {
  none: { kind: 'none', learningRate: 1, momentum: 0, beta1: 0, beta2: 0, tau: 0 },
  fedavgm: { kind: 'fedavgm', learningRate: 1, momentum: 0.9, beta1: 0, beta2: 0, tau: 0 },
  fedadam: { kind: 'fedadam', learningRate: 0.01, momentum: 0, beta1: 0.9, beta2: 0.99, tau: 1e-3 },
};

type OptimizerParam = Exclude<keyof ServerOptimizer, 'kind'>;

/** Which parameters each kind reads, and the range each parameter must fall in. */
const OPTIMIZER_PARAMS: Readonly<Record<ServerOptimizerKind, readonly OptimizerParam[]>> = {
  none: ['learningRate'],
  fedavgm: ['learningRate', 'momentum'],
  fedadam: ['learningRate', 'beta1', 'beta2', 'tau'],
};

const OPTIMIZER_RANGES: Readonly<Record<OptimizerParam, { test(v: number): boolean; text: string }>> = {
  learningRate: { test: (v) => v > 0 && v <= 10, text: 'must be a number above 0 and at most 10' },
  momentum: { test: (v) => v >= 0 && v < 1, text: 'must be a number from 0 up to (not including) 1' },
  beta1: { test: (v) => v >= 0 && v < 1, text: 'must be a number from 0 up to (not including) 1' },
  beta2: { test: (v) => v >= 0 && v < 1, text: 'must be a number from 0 up to (not including) 1' },
  tau: { test: (v) => v > 0 && v <= 1, text: 'must be a number above 0 and at most 1' },
};

/** Describes a rejected value briefly, so a message can say what was received without echoing a whole object. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (typeof value === 'string') return value.length > 40 ? 'a long string' : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return `a value of type ${typeof value}`;
}

/**
 * Every check on a field reports the same sentence (the rule in full) so one field yields one clear message.
 * Returning undefined for a missing value lets the parse-level map say "is required" instead.
 */
function rule(text: string) {
  return (issue: { input?: unknown }) =>
    issue.input === undefined ? undefined : `${text} (got ${describeValue(issue.input)})`;
}

function integer(min: number, max: number) {
  return z
    .number({ error: rule(`must be an integer from ${min} to ${max}`) })
    .int()
    .min(min)
    .max(max);
}

function text(min: number, max: number) {
  const message = rule(`must be a non-blank string of at most ${max} characters`);
  return z
    .string({ error: message })
    .min(min)
    .max(max)
    .refine((v) => v.trim().length > 0, { error: message });
}

function oneOf<const T extends readonly [string, ...string[]]>(values: T, what: string) {
  return z.enum(values, {
    error: (issue) => {
      if (issue.input === undefined) return undefined;
      return typeof issue.input === 'string'
        ? `unknown ${what} ${JSON.stringify(issue.input)}; this version supports: ${values.join(', ')}`
        : `must be one of: ${values.join(', ')} (got ${describeValue(issue.input)})`;
    },
  });
}

const L = JOB_SPEC_LIMITS;
const D = JOB_SPEC_DEFAULTS;

const modelSchema = z
  .strictObject({
    template: oneOf(MODEL_TEMPLATES, 'model template'),
    hiddenUnits: z
      .array(integer(L.hiddenUnits.min, L.hiddenUnits.max), {
        error: rule(`must be a list of at most ${L.hiddenLayers.max} layer sizes`),
      })
      .max(L.hiddenLayers.max)
      .optional(),
  })
  .superRefine((model, ctx) => {
    const layers = model.hiddenUnits;
    // An empty list is what a logreg spec carries once normalised; accepting it lets a returned spec be resubmitted.
    if (model.template === 'logreg' && layers !== undefined && layers.length > 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['hiddenUnits'],
        message: 'applies only to the mlp template; logreg has no hidden layers',
      });
    }
    if (model.template === 'mlp' && layers !== undefined && layers.length < L.hiddenLayers.min) {
      ctx.addIssue({
        code: 'custom',
        path: ['hiddenUnits'],
        message: `an mlp needs ${L.hiddenLayers.min} to ${L.hiddenLayers.max} hidden layers (omit it for [${D.hiddenUnits.join(', ')}])`,
      });
    }
  });

const datasetSchema = z
  .strictObject({
    id: text(L.datasetIdLength.min, L.datasetIdLength.max),
    features: z
      .array(text(L.featureNameLength.min, L.featureNameLength.max), {
        error: rule(`must be a list of ${L.features.min} to ${L.features.max} feature names`),
      })
      .min(L.features.min)
      .max(L.features.max)
      .superRefine((features, ctx) => {
        const seen = new Set<string>();
        const repeated = new Set<string>();
        for (const f of features) (seen.has(f) ? repeated : seen).add(f);
        if (repeated.size > 0) {
          ctx.addIssue({
            code: 'custom',
            message: `feature names must be unique; repeated: ${[...repeated].map((f) => JSON.stringify(f)).join(', ')}`,
          });
        }
      }),
    /** How silos holding a FHIR bulk export compute each feature and the label (libs/fhir/README.md). */
    fhir: fhirMappingSchema.nullish(),
  })
  .superRefine((dataset, ctx) => {
    if (!dataset.fhir) return;
    for (const message of mappingFeatureIssues(dataset.fhir, dataset.features)) {
      ctx.addIssue({ code: 'custom', path: ['fhir', 'features'], message });
    }
  });

const localSchema = z.strictObject({
  epochs: integer(L.epochs.min, L.epochs.max).default(D.epochs),
  batchSize: integer(L.batchSize.min, L.batchSize.max).default(D.batchSize),
  learningRate: z
    .number({ error: rule(`must be a number above 0 and at most ${L.learningRate.max}`) })
    .gt(L.learningRate.above)
    .max(L.learningRate.max)
    .default(D.learningRate),
});

const aggregationSchema = z.strictObject({
  rule: oneOf(AGGREGATION_RULES, 'aggregation rule').default(D.aggregationRule),
  params: z
    .record(z.string(), z.number({ error: rule('must be a finite number') }), {
      error: rule('must be an object of named numbers'),
    })
    .optional(),
});

const optimizerNumber = z.number({ error: rule('must be a finite number') }).optional();

const serverOptimizerSchema = z
  .strictObject({
    kind: oneOf(SERVER_OPTIMIZER_KINDS, 'server optimizer').default(D.serverOptimizerKind),
    learningRate: optimizerNumber,
    momentum: optimizerNumber,
    beta1: optimizerNumber,
    beta2: optimizerNumber,
    tau: optimizerNumber,
  })
  .superRefine((opt, ctx) => {
    const used = OPTIMIZER_PARAMS[opt.kind];
    for (const param of Object.keys(OPTIMIZER_RANGES) as OptimizerParam[]) {
      const value = opt[param];
      if (value === undefined) continue;
      if (!used.includes(param)) {
        // 0 is how a normalised spec marks an unused parameter, so it is the one value allowed here.
        if (value !== 0) {
          const users = SERVER_OPTIMIZER_KINDS.filter((k) => OPTIMIZER_PARAMS[k].includes(param));
          ctx.addIssue({
            code: 'custom',
            path: [param],
            message: `does not apply to server optimizer ${opt.kind}; it is used only by ${users.join(', ')}`,
          });
        }
        continue;
      }
      if (!OPTIMIZER_RANGES[param].test(value)) {
        ctx.addIssue({
          code: 'custom',
          path: [param],
          message: `${OPTIMIZER_RANGES[param].text} (got ${value})`,
        });
      }
    }
  })
  .transform((opt): ServerOptimizer => {
    const defaults = SERVER_OPTIMIZER_DEFAULTS[opt.kind];
    const used = OPTIMIZER_PARAMS[opt.kind];
    const pick = (param: OptimizerParam) => (used.includes(param) ? (opt[param] ?? defaults[param]) : 0);
    return {
      kind: opt.kind,
      learningRate: pick('learningRate'),
      momentum: pick('momentum'),
      beta1: pick('beta1'),
      beta2: pick('beta2'),
      tau: pick('tau'),
    };
  });

function realIn(
  min: number,
  max: number,
  text: string,
  opts: { minExclusive?: boolean; maxExclusive?: boolean } = {},
) {
  const message = rule(text);
  return z
    .number({ error: message })
    .refine((v) => Number.isFinite(v), { error: message })
    .refine((v) => (opts.minExclusive ? v > min : v >= min), { error: message })
    .refine((v) => (opts.maxExclusive ? v < max : v <= max), { error: message });
}

export const PRIVACY_MODES = ['central', 'local', 'distributed'] as const;
export const PRIVACY_LEVELS = ['patient', 'silo'] as const;
export const PRIVACY_DEFAULTS = {
  delta: 1e-5,
  clipNorm: 1,
  mode: 'central',
  level: 'patient',
  samplingRate: 0.1,
} as const;

/**
 * Differential privacy. Off: only `enabled: false` (or an absent/null message). On: a target (ε, δ), a clip
 * norm, where the noise is added (central: once, in the attested enclave; local: by each silo), what is
 * protected (patient: one record, by DP-SGD with Poisson sampling; silo: one silo's whole update), and the
 * sampling rate. The noise multiplier is calibrated by the aggregator unless given.
 */
const privacySchema = z
  .looseObject({ enabled: z.boolean({ error: rule('must be true or false') }) })
  .superRefine((privacy, ctx) => {
    if (privacy.enabled) return;
    for (const key of Object.keys(privacy)) {
      if (key !== 'enabled') ctx.addIssue({ code: 'custom', path: [key], message: 'unknown field' });
    }
  })
  .pipe(
    z.discriminatedUnion('enabled', [
      z.looseObject({ enabled: z.literal(false) }).transform(() => undefined),
      z
        .strictObject({
          enabled: z.literal(true),
          targetEpsilon: realIn(0, 100, 'must be a number above 0 and at most 100', { minExclusive: true }),
          delta: realIn(0, 1, 'must be a number strictly between 0 and 1', {
            minExclusive: true,
            maxExclusive: true,
          }).default(PRIVACY_DEFAULTS.delta),
          clipNorm: realIn(0, 1e6, 'must be a number above 0', { minExclusive: true }).default(
            PRIVACY_DEFAULTS.clipNorm,
          ),
          mode: oneOf(PRIVACY_MODES, 'privacy mode').default(PRIVACY_DEFAULTS.mode),
          level: oneOf(PRIVACY_LEVELS, 'privacy level').default(PRIVACY_DEFAULTS.level),
          samplingRate: realIn(0, 1, 'must be a number above 0 and at most 1', {
            minExclusive: true,
          }).default(PRIVACY_DEFAULTS.samplingRate),
          noiseMultiplier: realIn(
            0,
            1e6,
            'must be a non-negative number (0: calibrate from the target)',
          ).default(0),
        })
        .transform((p) => ({ ...p, samplingRate: p.level === 'silo' ? 1 : p.samplingRate })),
    ]),
  );

/**
 * How silos pack their updates for the wire (see @cohort/quantization). Under differential privacy the
 * rounding must not touch what the noise calibration assumes: in local mode each silo quantizes after adding
 * its noise, and at silo level the enclave clips the decoded update before summing, so either way quantization
 * is post-processing and the guarantee stands. Central patient-level DP is the exception: the silo sends its
 * clipped gradient sum un-noised, and rounding it (scale per block, random levels) could move it by more than
 * one record's clip norm, so only float32 is allowed there.
 */
const wireSchema = z.strictObject({
  encoding: oneOf(WIRE_ENCODINGS, 'wire encoding').default('float32'),
});

export const SECURE_AGGREGATION_PROTOCOLS = ['secagg', 'secagg+'] as const;
export const SECURE_AGGREGATION_DEFAULTS = {
  protocol: 'secagg+',
  threshold: 2 / 3,
  bits: 32,
  clipRange: 8,
  maxWeight: 1000,
} as const;
/** Fewest silos a secure-aggregation round runs with: with two, each could subtract its own update from the sum. */
export const SECURE_AGGREGATION_MIN_SILOS = 3;

/**
 * Masking-based secure aggregation instead of the enclave (see @cohort/secagg): the silos quantize, clip and
 * mask their updates, the aggregator learns only the sum. The rule must be fedavg (robust rules need individual
 * updates), quantization is the protocol's own (wire stays float32), DP is silo level with distributed noise.
 */
const secureAggregationSchema = z.strictObject({
  protocol: oneOf(SECURE_AGGREGATION_PROTOCOLS, 'secure aggregation protocol').default(
    SECURE_AGGREGATION_DEFAULTS.protocol,
  ),
  threshold: realIn(0.5, 1, 'must be a number above 1/2 and at most 1', { minExclusive: true }).default(
    SECURE_AGGREGATION_DEFAULTS.threshold,
  ),
  bits: integer(16, 32).default(SECURE_AGGREGATION_DEFAULTS.bits),
  clipRange: realIn(0, 1e6, 'must be a number above 0 and at most 1000000', { minExclusive: true }).default(
    SECURE_AGGREGATION_DEFAULTS.clipRange,
  ),
  maxWeight: realIn(0, 1e9, 'must be a number above 0 and at most 1000000000', {
    minExclusive: true,
  }).default(SECURE_AGGREGATION_DEFAULTS.maxWeight),
});

/** Every way a spec asks secure aggregation for what it cannot give, with the field to blame. */
function secureAggregationIssues(spec: {
  aggregation: { rule: string };
  wire?: { encoding: string } | null;
  privacy?: { enabled: boolean; mode?: string; level?: string } | null;
  minSilos: number;
  secureAggregation?: unknown;
}): { path: (string | number)[]; message: string }[] {
  const issues: { path: (string | number)[]; message: string }[] = [];
  const p = spec.privacy;
  if (!spec.secureAggregation) {
    if (p?.enabled && p.mode === 'distributed')
      issues.push({
        path: ['privacy', 'mode'],
        message:
          'distributed noise needs "secureAggregation": without it use "central" (the enclave) or "local"',
      });
    return issues;
  }
  if (spec.aggregation.rule !== 'fedavg')
    issues.push({
      path: ['aggregation', 'rule'],
      message:
        `${JSON.stringify(spec.aggregation.rule)} needs each silo's update, which secure aggregation hides from the ` +
        'aggregator: use "fedavg", or the enclave mode (omit "secureAggregation") for robust rules',
    });
  if ((spec.wire?.encoding ?? 'float32') !== 'float32')
    issues.push({
      path: ['wire', 'encoding'],
      message:
        'must be "float32" under secure aggregation, which quantizes updates itself ("secureAggregation.bits")',
    });
  if (spec.minSilos < SECURE_AGGREGATION_MIN_SILOS)
    issues.push({
      path: ['minSilos'],
      message:
        `must be at least ${SECURE_AGGREGATION_MIN_SILOS} under secure aggregation (got ${spec.minSilos}): ` +
        "with two silos each could subtract its own update from the sum and read the other's",
    });
  if (p?.enabled) {
    if (p.mode !== 'distributed')
      issues.push({
        path: ['privacy', 'mode'],
        message:
          `must be "distributed" under secure aggregation (got ${JSON.stringify(p.mode)}): no enclave sees the sum ` +
          'before it is released, so each silo adds its share of the noise',
      });
    if (p.level !== 'silo')
      issues.push({
        path: ['privacy', 'level'],
        message:
          `must be "silo" under secure aggregation (got ${JSON.stringify(p.level)}): distributed noise is accounted ` +
          "for one silo's clipped update; patient-level DP needs the enclave mode",
      });
  }
  return issues;
}

/**
 * The job spec a researcher writes (JSON), parsed into the protocol `JobSpec` with every default filled in.
 * A spec the gateway returns (normalised, with unused fields empty or 0) parses again to the same value.
 */
export const jobSpecSchema = z
  .strictObject({
    name: text(L.nameLength.min, L.nameLength.max),
    model: modelSchema,
    dataset: datasetSchema,
    rounds: integer(L.rounds.min, L.rounds.max),
    minSilos: integer(L.minSilos.min, L.minSilos.max).default(D.minSilos),
    roundTimeoutMs: integer(L.roundTimeoutMs.min, L.roundTimeoutMs.max).default(D.roundTimeoutMs),
    offerTimeoutMs: integer(L.offerTimeoutMs.min, L.offerTimeoutMs.max).default(D.offerTimeoutMs),
    gracePeriodMs: integer(L.gracePeriodMs.min, L.gracePeriodMs.max).default(D.gracePeriodMs),
    local: localSchema.prefault({}),
    aggregation: aggregationSchema.prefault({}),
    serverOptimizer: serverOptimizerSchema.prefault({}),
    // null is how protocol JSON spells an absent message, so a returned spec can be resubmitted as is.
    privacy: privacySchema.nullish(),
    // null is how protocol JSON spells an absent message, as for privacy.
    wire: wireSchema.nullish(),
    // null is how protocol JSON spells an absent message, as for privacy.
    secureAggregation: secureAggregationSchema.nullish(),
    seed: integer(L.seed.min, L.seed.max).default(D.seed),
  })
  .superRefine((spec, ctx) => {
    for (const issue of secureAggregationIssues(spec))
      ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
  })
  .superRefine((spec, ctx) => {
    // A rule's parameters are checked against the fewest updates a round can close with (the quorum): Krum's
    // n > 2f + 2 must hold in every round that closes.
    for (const issue of ruleParamIssues(
      spec.aggregation.rule,
      spec.aggregation.params ?? {},
      spec.minSilos,
    )) {
      ctx.addIssue({
        code: 'custom',
        path: issue.param ? ['aggregation', 'params', issue.param] : ['aggregation', 'rule'],
        message: issue.message,
      });
    }
  })
  .superRefine((spec, ctx) => {
    const encoding = spec.wire?.encoding ?? 'float32';
    const p = spec.privacy;
    if (encoding !== 'float32' && p?.enabled && p.mode === 'central' && p.level === 'patient') {
      ctx.addIssue({
        code: 'custom',
        path: ['wire', 'encoding'],
        message:
          `must be "float32" under central patient-level differential privacy (got ${JSON.stringify(encoding)}): ` +
          'rounding the un-noised update would change the sensitivity the noise is calibrated to; ' +
          'use local mode or silo level to quantize',
      });
    }
  })
  .transform((s): JobSpec => ({
    name: s.name,
    model: {
      template: s.model.template,
      hiddenUnits: s.model.template === 'mlp' ? (s.model.hiddenUnits ?? [...D.hiddenUnits]) : [],
    },
    dataset: {
      id: s.dataset.id,
      features: s.dataset.features,
      fhir: s.dataset.fhir ? fhirMappingToProto(s.dataset.fhir) : undefined,
    },
    rounds: s.rounds,
    minSilos: s.minSilos,
    roundTimeoutMs: s.roundTimeoutMs,
    offerTimeoutMs: s.offerTimeoutMs,
    gracePeriodMs: s.gracePeriodMs,
    local: s.local,
    aggregation: { rule: s.aggregation.rule, params: s.aggregation.params ?? {} },
    serverOptimizer: s.serverOptimizer,
    // Absent means "off" in the protocol.
    privacy: s.privacy ?? undefined,
    wire: { encoding: s.wire?.encoding ?? 'float32' },
    // Absent means the enclave aggregates.
    secureAggregation: s.secureAggregation ?? undefined,
    seed: s.seed,
  }));

/** The JSON a researcher may write: every field with a default is optional. */
export type JobSpecInput = z.input<typeof jobSpecSchema>;

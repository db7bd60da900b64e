// The feature mapping a job gives for FHIR datasets (libs/fhir/README.md): which codes make each feature, how
// they are aggregated over which window, and what the label is. One schema for the researcher's JSON, the
// gateway's check and the silo's review, so all three agree on what a mapping means.
import { z } from 'zod';

const NAME_MAX = 200;
const MAX_CODES = 200;
const MAX_FEATURES = 1000;
/** A century: a longer window is the whole history, which is what omitting lookbackDays says. */
const MAX_DAYS = 36_525;

const codingSchema = z.strictObject({
  system: z.url({ error: 'must be the code system\'s canonical URL, e.g. "http://loinc.org"' }),
  code: z.string().trim().min(1, { error: 'must be a non-blank code' }).max(NAME_MAX),
});
export type FhirCodingSpec = z.output<typeof codingSchema>;

const codes = z.array(codingSchema).min(1, { error: 'at least one code is required' }).max(MAX_CODES);
const days = z.number().int().min(0).max(MAX_DAYS);
/** A UCUM expression; whether it is valid UCUM is checked against the UCUM tables (ucum.ts), not here. */
const unit = z.string().trim().min(1).max(NAME_MAX);
const molarMass = z.number().positive({ error: "must be the substance's molar mass in g/mol (above 0)" });
const featureType = z.enum(['number', 'integer']);

export const OBSERVATION_AGGREGATES = ['latest', 'mean', 'min', 'max', 'count'] as const;
export const VALUE_AGGREGATES = ['latest', 'mean', 'min', 'max'] as const;
export const LABEL_OPERATORS = ['greaterThan', 'atLeast', 'lessThan', 'atMost'] as const;

const patientFeature = z.strictObject({
  name: z.string().trim().min(1).max(NAME_MAX),
  source: z.literal('patient'),
  /** age: whole years at the index date; sex: 1 male, 0 female (other and unknown are missing). */
  field: z.enum(['age', 'sex']),
  type: featureType.optional(),
});

const observationFeature = z.strictObject({
  name: z.string().trim().min(1).max(NAME_MAX),
  source: z.literal('observation'),
  codes,
  aggregate: z.enum(OBSERVATION_AGGREGATES),
  lookbackDays: days.optional(),
  /** Quantities are converted to this UCUM unit; without it only unitless values are accepted. */
  unit: unit.optional(),
  molarMass: molarMass.optional(),
  /** The number each coded answer stands for, for Observations whose value is a CodeableConcept. */
  valueMap: z
    .array(codingSchema.extend({ value: z.number({ error: 'must be a finite number' }) }))
    .max(MAX_CODES)
    .optional(),
  type: featureType.optional(),
});

const eventFeature = z.strictObject({
  name: z.string().trim().min(1).max(NAME_MAX),
  /** condition: Condition.code; medication: MedicationStatement.medicationCodeableConcept. */
  source: z.enum(['condition', 'medication']),
  codes,
  aggregate: z.enum(['present', 'count']),
  lookbackDays: days.optional(),
  type: featureType.optional(),
});

const encounterFeature = z.strictObject({
  name: z.string().trim().min(1).max(NAME_MAX),
  source: z.literal('encounter'),
  /** Matched against Encounter.type and Encounter.class; absent: every encounter counts. */
  codes: codes.optional(),
  aggregate: z.literal('count'),
  lookbackDays: days.optional(),
  type: featureType.optional(),
});

const featureSchema = z
  .discriminatedUnion('source', [patientFeature, observationFeature, eventFeature, encounterFeature])
  .transform((f) => ({ ...f, type: f.type ?? defaultType(f) }));

function defaultType(f: { source: string; aggregate?: string; field?: string }): 'number' | 'integer' {
  if (f.source === 'patient') return f.field === 'sex' ? 'integer' : 'number';
  return f.aggregate === 'count' || f.aggregate === 'present' ? 'integer' : 'number';
}

const labelSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('condition'),
    codes,
    lookbackDays: days.optional(),
    horizonDays: days.default(0),
  }),
  z.strictObject({
    kind: z.literal('observation'),
    codes,
    aggregate: z.enum(VALUE_AGGREGATES).default('latest'),
    operator: z.enum(LABEL_OPERATORS),
    value: z.number({ error: 'must be a finite number' }),
    unit: unit.optional(),
    molarMass: molarMass.optional(),
    lookbackDays: days.optional(),
    horizonDays: days.default(0),
  }),
]);

const indexDateSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('fixed'), date: z.iso.date({ error: 'must be a date, YYYY-MM-DD' }) }),
  z.strictObject({ kind: z.literal('lastEncounter') }),
]);

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Drops "" , null, [] and (where 0 is not a legal value) 0: how protocol JSON spells a field that is absent. */
function withoutStandIns(o: unknown, zeroIsAbsent: readonly string[]): unknown {
  if (!isRecord(o)) return o;
  return Object.fromEntries(
    Object.entries(o).filter(
      ([k, v]) =>
        !(
          v === '' ||
          v === null ||
          (Array.isArray(v) && v.length === 0) ||
          (v === 0 && zeroIsAbsent.includes(k))
        ),
    ),
  );
}

/**
 * A mapping as the protocol message spells it (every scalar present, "" or 0 for absent) reads as the researcher
 * wrote it, so a spec the gateway returns resubmits as is. Unknown keys stay, for the strict check to name.
 */
function fromProtocolSpelling(raw: unknown): unknown {
  if (!isRecord(raw)) return raw;
  const label = raw.label;
  return {
    ...raw,
    ...(raw.indexDate !== undefined ? { indexDate: withoutStandIns(raw.indexDate, []) } : {}),
    ...(Array.isArray(raw.features)
      ? { features: raw.features.map((f) => withoutStandIns(f, ['molarMass'])) }
      : {}),
    ...(label !== undefined
      ? {
          label: withoutStandIns(
            label,
            isRecord(label) && label.kind === 'condition' ? ['molarMass', 'value'] : ['molarMass'],
          ),
        }
      : {}),
  };
}

const mappingObjectSchema = z
  .strictObject({
    indexDate: indexDateSchema,
    features: z.array(featureSchema).min(1, { error: 'at least one feature is required' }).max(MAX_FEATURES),
    label: labelSchema,
  })
  .superRefine((m, ctx) => {
    const seen = new Set<string>();
    m.features.forEach((f, i) => {
      if (seen.has(f.name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['features', i, 'name'],
          message: `duplicate feature "${f.name}"`,
        });
      }
      seen.add(f.name);
      if (f.source === 'observation' && f.molarMass !== undefined && f.unit === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['features', i, 'molarMass'],
          message: 'applies only with a unit',
        });
      }
      if (
        f.source === 'observation' &&
        f.aggregate !== 'count' &&
        f.valueMap !== undefined &&
        f.unit !== undefined
      ) {
        ctx.addIssue({
          code: 'custom',
          path: ['features', i, 'valueMap'],
          message: 'a feature reads either quantities (unit) or coded answers (valueMap), not both',
        });
      }
    });
    if (m.label.kind === 'observation' && m.label.molarMass !== undefined && m.label.unit === undefined) {
      ctx.addIssue({ code: 'custom', path: ['label', 'molarMass'], message: 'applies only with a unit' });
    }
  });

export const fhirMappingSchema = z.preprocess(fromProtocolSpelling, mappingObjectSchema);

export type FhirMapping = z.output<typeof mappingObjectSchema>;
export type FhirMappingInput = z.input<typeof mappingObjectSchema>;
export type FhirFeatureSpec = FhirMapping['features'][number];
export type FhirLabelSpec = FhirMapping['label'];
export type FhirIndexDateSpec = FhirMapping['indexDate'];

import type {
  FhirCoding,
  FhirFeature as ProtoFeature,
  FhirLabel as ProtoLabel,
  FhirMapping as ProtoMapping,
} from '@cohort/protocol';
import type { z } from 'zod';
import { FhirError } from './errors.js';
import { fhirMappingSchema, type FhirMapping } from './mapping.schema.js';

/** One line per bad field, so a researcher or a hospital's operator can fix them all in one pass. */
export function describeMappingIssues(issues: readonly z.core.$ZodIssue[], prefix = ''): string[] {
  return issues.map(
    (i) => `${[prefix, ...i.path.map(String)].filter((p) => p !== '').join('.') || '(root)'}: ${i.message}`,
  );
}

/** Validates a mapping (researcher JSON or one rebuilt from the protocol); FhirError FHIR_MAPPING_INVALID lists every bad field. */
export function parseFhirMapping(raw: unknown, source = 'the FHIR mapping'): FhirMapping {
  const parsed = fhirMappingSchema.safeParse(raw);
  if (!parsed.success) {
    throw new FhirError(
      'FHIR_MAPPING_INVALID',
      `${source} is invalid:\n  ${describeMappingIssues(parsed.error.issues).join('\n  ')}`,
    );
  }
  return parsed.data;
}

/** The features a job names must be exactly the ones its mapping defines (order comes from the job). */
export function mappingFeatureIssues(mapping: FhirMapping, features: readonly string[]): string[] {
  const defined = new Set(mapping.features.map((f) => f.name));
  const named = new Set(features);
  const issues: string[] = [];
  const undefinedNames = features.filter((f) => !defined.has(f));
  if (undefinedNames.length > 0) {
    issues.push(`the mapping does not define ${undefinedNames.map((f) => JSON.stringify(f)).join(', ')}`);
  }
  const unused = [...defined].filter((f) => !named.has(f));
  if (unused.length > 0) {
    issues.push(
      `the mapping defines ${unused.map((f) => JSON.stringify(f)).join(', ')}, which the job does not use`,
    );
  }
  return issues;
}

const coding = (c: { system: string; code: string }): FhirCoding => ({ system: c.system, code: c.code });

/** The protocol message for a validated mapping; proto3 has no "absent" for scalars, so absent is "" or 0. */
export function fhirMappingToProto(m: FhirMapping): ProtoMapping {
  return {
    indexDate:
      m.indexDate.kind === 'fixed'
        ? { kind: 'fixed', date: m.indexDate.date }
        : { kind: m.indexDate.kind, date: '' },
    features: m.features.map((f): ProtoFeature => ({
      name: f.name,
      source: f.source,
      field: f.source === 'patient' ? f.field : '',
      codes: f.source === 'patient' ? [] : (f.codes ?? []).map(coding),
      aggregate: f.source === 'patient' ? '' : f.aggregate,
      lookbackDays: f.source === 'patient' ? undefined : f.lookbackDays,
      unit: f.source === 'observation' ? (f.unit ?? '') : '',
      molarMass: f.source === 'observation' ? (f.molarMass ?? 0) : 0,
      valueMap:
        f.source === 'observation' ? (f.valueMap ?? []).map((v) => ({ ...coding(v), value: v.value })) : [],
      type: f.type,
    })),
    label: ((l): ProtoLabel => ({
      kind: l.kind,
      codes: l.codes.map(coding),
      aggregate: l.kind === 'observation' ? l.aggregate : '',
      operator: l.kind === 'observation' ? l.operator : '',
      value: l.kind === 'observation' ? l.value : 0,
      unit: l.kind === 'observation' ? (l.unit ?? '') : '',
      molarMass: l.kind === 'observation' ? (l.molarMass ?? 0) : 0,
      lookbackDays: l.lookbackDays,
      horizonDays: l.horizonDays,
    }))(m.label),
  };
}

/** Keeps the named fields that are present: drops the protocol's stand-ins for "absent" ("" and empty lists, and 0
 * where 0 is not a legal value) and anything else a decoder adds (proto-loader's "_field" keys of optionals). */
function present(
  o: object,
  fields: readonly string[],
  zeroIsAbsent: readonly string[] = [],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const source = o as Record<string, unknown>;
  for (const k of fields) {
    const v = source[k];
    const empty =
      v === undefined ||
      v === null ||
      v === '' ||
      (Array.isArray(v) && v.length === 0) ||
      (v === 0 && zeroIsAbsent.includes(k));
    if (empty) continue;
    out[k] = Array.isArray(v) ? v.map((item: object) => present(item, ['system', 'code', 'value'])) : v;
  }
  return out;
}

const FEATURE_FIELDS = [
  'name',
  'source',
  'field',
  'codes',
  'aggregate',
  'lookbackDays',
  'unit',
  'molarMass',
  'valueMap',
  'type',
];
const LABEL_FIELDS = [
  'kind',
  'codes',
  'aggregate',
  'operator',
  'value',
  'unit',
  'molarMass',
  'lookbackDays',
  'horizonDays',
];

/**
 * The researcher-shaped object of a protocol mapping, to be parsed again: a silo re-validates what it is sent
 * rather than trusting that the gateway did, and the gateway shows a spec that resubmits as is.
 */
export function fhirMappingFromProto(p: ProtoMapping): unknown {
  const label = p.label;
  return {
    ...(p.indexDate ? { indexDate: present(p.indexDate, ['kind', 'date']) } : {}),
    features: (p.features ?? []).map((f) => present(f, FEATURE_FIELDS, ['molarMass'])),
    ...(label
      ? {
          label: present(
            label,
            LABEL_FIELDS,
            label.kind === 'observation' ? ['molarMass'] : ['molarMass', 'value', 'aggregate', 'operator'],
          ),
        }
      : {}),
  };
}

/** One line per feature and one for the label, for a person deciding whether to let a job read the export. */
export function describeFhirMapping(m: FhirMapping): string[] {
  const codes = (cs: readonly { system: string; code: string }[] | undefined) =>
    (cs ?? []).map((c) => `${c.system}|${c.code}`).join(' or ');
  const window = (lookbackDays: number | undefined, horizonDays = 0) =>
    `${lookbackDays === undefined ? 'the whole history' : `${lookbackDays} days`} before` +
    (horizonDays > 0 ? ` to ${horizonDays} days after` : '');
  const index = m.indexDate.kind === 'fixed' ? m.indexDate.date : "each patient's last encounter";
  return [
    `index date: ${index}`,
    ...m.features.map((f) =>
      f.source === 'patient'
        ? `${f.name}: Patient ${f.field}`
        : `${f.name}: ${f.aggregate} of ${f.source} ${codes(f.codes) || '(any)'}${f.source === 'observation' && f.unit ? ` in ${f.unit}` : ''}, ${window(f.lookbackDays)}`,
    ),
    `label: ${m.label.kind === 'condition' ? 'a Condition' : `${m.label.aggregate} Observation ${m.label.operator} ${m.label.value}${m.label.unit ? ` ${m.label.unit}` : ''}`} with ${codes(m.label.codes)}, ${window(m.label.lookbackDays, m.label.horizonDays)}`,
  ];
}

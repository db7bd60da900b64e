import type { JobSpec } from '@cohort/protocol';
import type { z } from 'zod';
import { RULE_SENSITIVITY, sensitivityOf, type PrivacyLevel } from '@cohort/aggregation';
import { describeValue, jobSpecSchema } from './job-spec.schema.js';

/** One problem with one field; `field` is a dotted path such as `model.template` or `dataset.features.2`. */
export interface JobSpecIssue {
  field: string;
  message: string;
}

export type ParseJobSpecResult = { ok: true; spec: JobSpec } | { ok: false; errors: JobSpecIssue[] };

/** The name used for a problem with the document itself (not an object, for instance). */
export const ROOT_FIELD = '(root)';

function fieldOf(path: readonly PropertyKey[]): string {
  return path.length === 0 ? ROOT_FIELD : path.map(String).join('.');
}

/** Fallback wording for issues the schema does not phrase itself: missing fields and wrong JSON types. */
const parseErrorMap: z.core.$ZodErrorMap = (issue) => {
  // JSON has no undefined, so an undefined input is always a field that was left out.
  if (issue.input === undefined && issue.code !== 'unrecognized_keys' && issue.code !== 'custom')
    return 'is required';
  if (issue.code === 'invalid_type') {
    return `must be ${issue.expected === 'object' ? 'an object' : `a ${issue.expected}`} (got ${describeValue(issue.input)})`;
  }
  return undefined;
};

/** Turns zod issues into one message per field; an unknown key becomes an error on that key's own path. */
function toFieldIssues(issues: readonly z.core.$ZodIssue[]): JobSpecIssue[] {
  const byField = new Map<string, string>();
  const add = (field: string, message: string) => {
    // The first complaint about a field is the most basic one (type before range), so it is the one kept.
    if (!byField.has(field)) byField.set(field, message);
  };
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) add(fieldOf([...issue.path, key]), 'unknown field');
    } else {
      add(fieldOf(issue.path), issue.message);
    }
  }
  return [...byField].map(([field, message]) => ({ field, message }));
}

/** Validates a researcher's job spec (parsed JSON) and fills in every default. */
export function parseJobSpec(input: unknown): ParseJobSpecResult {
  const parsed = jobSpecSchema.safeParse(input, { error: parseErrorMap });
  if (parsed.success) {
    const privacy = parsed.data.privacy;
    const rule = parsed.data.aggregation?.rule ?? '';
    if (privacy?.enabled && !sensitivityOf(rule, privacy.level as PrivacyLevel)) {
      return {
        ok: false,
        errors: [
          {
            field: 'aggregation.rule',
            message:
              `rule "${rule}" declares no sensitivity bound at ${privacy.level} level, so differential privacy ` +
              `cannot be calibrated for it; use one of: ${Object.keys(RULE_SENSITIVITY).join(', ')}`,
          },
        ],
      };
    }
    return { ok: true, spec: parsed.data };
  }
  return { ok: false, errors: toFieldIssues(parsed.error.issues) };
}

/** What the federation looks like at submission time, for checks the spec alone cannot make. */
export interface FederationFacts {
  connectedSilos: number;
}

/** Checks a valid spec against the federation it would run in; an empty list means it can run. */
export function checkJobAgainstFederation(spec: JobSpec, federation: FederationFacts): JobSpecIssue[] {
  const issues: JobSpecIssue[] = [];
  const silos = federation.connectedSilos;
  if (spec.minSilos > silos) {
    issues.push({
      field: 'minSilos',
      message: `quorum ${spec.minSilos} is above the ${silos} ${silos === 1 ? 'silo' : 'silos'} in the federation`,
    });
  }
  return issues;
}

/** `field: message` lines, the form a CLI or a log prints. */
export function formatJobSpecIssues(issues: readonly JobSpecIssue[]): string[] {
  return issues.map((i) => `${i.field}: ${i.message}`);
}

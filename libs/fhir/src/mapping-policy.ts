// A hospital's rules for the FHIR mappings jobs may run on its export: which sources and terminologies a job
// may read, codes no job may touch (an HIV test, a psychiatric diagnosis), how far back it may look.
import { z } from 'zod';
import { LOINC, RXNORM, SNOMED_CT, tokenOf } from './codes.js';
import type { FhirMapping } from './mapping.schema.js';
import { UnitConverter } from './ucum.js';

export const FHIR_SOURCES = ['patient', 'observation', 'condition', 'medication', 'encounter'] as const;

export const fhirPolicySchema = z.strictObject({
  allowedSources: z.array(z.enum(FHIR_SOURCES)).default([...FHIR_SOURCES]),
  /** Code systems (canonical URLs) a mapping may name, for features, answers and the label. */
  allowedCodeSystems: z.array(z.url()).min(1).default([LOINC, SNOMED_CT, RXNORM]),
  deniedCodes: z.array(z.strictObject({ system: z.url(), code: z.string().min(1) })).default([]),
  /** The longest window a feature or label may look back; a mapping without lookbackDays asks for everything. */
  maxLookbackDays: z.number().int().min(0).optional(),
});

export type FhirPolicy = z.output<typeof fhirPolicySchema>;

/** Every reason the policy refuses a mapping (empty: accepted). Checked before any record is read. */
export function reviewFhirMapping(mapping: FhirMapping, policy: FhirPolicy): string[] {
  const issues: string[] = [];
  const systems = new Set(policy.allowedCodeSystems);
  const denied = new Set(policy.deniedCodes.map((c) => tokenOf(c.system, c.code)));
  const checkCodes = (where: string, codes: readonly { system: string; code: string }[]) => {
    for (const c of codes) {
      if (!systems.has(c.system))
        issues.push(`${where} uses code system ${c.system}, which this silo does not allow`);
      if (denied.has(tokenOf(c.system, c.code)))
        issues.push(`${where} reads ${c.system}|${c.code}, which this silo withholds`);
    }
  };
  const checkWindow = (where: string, lookbackDays: number | undefined) => {
    if (policy.maxLookbackDays === undefined) return;
    if (lookbackDays === undefined) {
      issues.push(
        `${where} reads the whole history; this silo allows at most ${policy.maxLookbackDays} days back`,
      );
    } else if (lookbackDays > policy.maxLookbackDays) {
      issues.push(
        `${where} looks back ${lookbackDays} days; this silo allows at most ${policy.maxLookbackDays}`,
      );
    }
  };
  const checkUnit = (where: string, unit: string | undefined) => {
    const problem = unit === undefined ? undefined : UnitConverter.validate(unit);
    if (problem !== undefined) issues.push(`${where}: ${problem}`);
  };
  for (const f of mapping.features) {
    const where = `feature "${f.name}"`;
    if (!policy.allowedSources.includes(f.source))
      issues.push(`${where} reads ${f.source} data, which this silo does not allow`);
    if (f.source === 'patient') continue;
    checkCodes(where, f.codes ?? []);
    checkWindow(where, f.lookbackDays);
    if (f.source === 'observation') {
      checkCodes(where, f.valueMap ?? []);
      checkUnit(where, f.unit);
    }
  }
  const l = mapping.label;
  const labelSource = l.kind === 'condition' ? 'condition' : 'observation';
  if (!policy.allowedSources.includes(labelSource))
    issues.push(`the label reads ${labelSource} data, which this silo does not allow`);
  checkCodes('the label', l.codes);
  checkWindow('the label', l.lookbackDays);
  if (l.kind === 'observation') checkUnit('the label', l.unit);
  return [...new Set(issues)];
}

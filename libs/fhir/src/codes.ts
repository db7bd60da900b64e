/** Canonical URLs of the terminologies a mapping names (FHIR R4 terminology page, "Using Codes in resources"). */
export const LOINC = 'http://loinc.org';
export const SNOMED_CT = 'http://snomed.info/sct';
export const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';
export const UCUM = 'http://unitsofmeasure.org';

/** The resource types a silo reads from a Bulk Data export (one NDJSON file, or several, per type). */
export const FHIR_RESOURCE_TYPES = [
  'Patient',
  'Encounter',
  'Observation',
  'Condition',
  'MedicationStatement',
] as const;
export type FhirResourceType = (typeof FHIR_RESOURCE_TYPES)[number];

/** "system|code", the FHIR search-parameter spelling of a token, used as a map key. */
export function tokenOf(system: string, code: string): string {
  return `${system}|${code}`;
}

/** Stable codes, so the silo agent and the CLI can react to a FHIR problem without parsing prose. */
export type FhirErrorCode =
  | 'FHIR_MAPPING_INVALID'
  | 'FHIR_CONFIG_INVALID'
  | 'FHIR_EXPORT_UNREADABLE'
  | 'FHIR_NO_PATIENTS'
  | 'FHIR_TOO_MANY_BAD_RESOURCES'
  | 'FHIR_NO_USABLE_ROWS';

/**
 * A problem with a FHIR export or a feature mapping. Messages name files, lines and counts, never a record's
 * values, so they may be logged at the hospital and (for mapping problems) shown to the researcher.
 */
export class FhirError extends Error {
  readonly code: FhirErrorCode;

  constructor(code: FhirErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FhirError';
    this.code = code;
  }
}

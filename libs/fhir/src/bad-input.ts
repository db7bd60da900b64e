/**
 * Kinds of bad input in an export. Each is counted, reported with file and line, and the resource (or the one
 * value) it concerns is left out: nothing bad is used, nothing bad stops the rest.
 */
export const BAD_INPUT_KINDS = [
  /** The line is not JSON, or not a JSON object. */
  'invalid-json',
  /** A resource in another type's file (a Condition in Observation.ndjson). */
  'wrong-resource-type',
  /** A required element is missing or of the wrong type (no id, no subject, a value that is not a number). */
  'invalid-resource',
  /** A date the mapping needs is missing or is not a FHIR date. */
  'invalid-date',
  /** A code outside the value set the mapping expects (a coded answer not in valueMap, a gender not in R4's). */
  'unknown-code',
  /** A quantity without a UCUM unit code where the mapping converts to a unit. */
  'missing-unit',
  /** A unit that is not UCUM, or that cannot be converted to the mapping's unit. */
  'invalid-unit',
  /** A reference to a patient (or encounter) that is not in the export, or to the wrong resource type. */
  'dangling-reference',
  /** A resource whose encounter belongs to another patient than its subject. */
  'mismatched-reference',
  /** A second resource with an id already seen in the same type. */
  'duplicate-id',
] as const;
export type BadInputKind = (typeof BAD_INPUT_KINDS)[number];

export interface BadInput {
  kind: BadInputKind;
  file: string;
  /** 1-based, counting every line of the file. */
  line: number;
  /** What is wrong and where in the resource; ids, paths and codes, never a measured value. */
  detail: string;
}

/** Counts per kind and the first few of each kind, so a large export's report stays small. */
export class BadInputLog {
  readonly counts: Record<BadInputKind, number> = Object.fromEntries(
    BAD_INPUT_KINDS.map((k) => [k, 0]),
  ) as Record<BadInputKind, number>;
  readonly samples: BadInput[] = [];
  total = 0;

  constructor(private readonly samplesPerKind = 5) {}

  add(kind: BadInputKind, file: string, line: number, detail: string): void {
    this.total++;
    if (++this.counts[kind] <= this.samplesPerKind) this.samples.push({ kind, file, line, detail });
  }
}

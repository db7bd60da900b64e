import { z } from 'zod';
import { FhirError } from './errors.js';
import { describeMappingIssues } from './mapping.js';

/**
 * One silo's FHIR dataset: a Bulk Data export folder (NDJSON per resource type, optionally gzip). What the
 * records become is the job's mapping, reviewed by the silo's policy; the split, the missing-value rule and the
 * bad-input budget are the hospital's.
 */
export const fhirDatasetConfigSchema = z.strictObject({
  id: z.string().trim().min(1, { error: 'the dataset needs an id' }),
  format: z.literal('fhir'),
  /** The export folder, relative to the configuration's folder (or absolute). */
  dir: z.string().min(1, { error: 'the export folder is required' }),
  /** impute: from this silo's training rows only (mean for number, mode for integer); drop: discard the row. */
  missingRule: z.enum(['impute', 'drop']).default('impute'),
  split: z
    .strictObject({
      testFraction: z
        .number()
        .gt(0, { error: 'testFraction must be above 0' })
        .lt(1, { error: 'testFraction must be below 1' }),
      seed: z.number().int(),
    })
    .default({ testFraction: 0.25, seed: 42 }),
  /** Above this share of bad resources (of all lines read) the silo declines jobs on this export. */
  maxBadResourceFraction: z.number().min(0).max(1).default(0.1),
});

export type FhirDatasetConfig = z.output<typeof fhirDatasetConfigSchema>;
export type FhirDatasetConfigInput = z.input<typeof fhirDatasetConfigSchema>;

export function parseFhirDatasetConfig(
  raw: unknown,
  source = 'FHIR dataset configuration',
): FhirDatasetConfig {
  const parsed = fhirDatasetConfigSchema.safeParse(raw);
  if (!parsed.success) {
    throw new FhirError(
      'FHIR_CONFIG_INVALID',
      `${source} is invalid:\n  ${describeMappingIssues(parsed.error.issues).join('\n  ')}`,
    );
  }
  return parsed.data;
}

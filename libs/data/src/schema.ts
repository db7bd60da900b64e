import { z } from 'zod';
import { DataError } from './errors.js';

const missingMarkers = z.array(z.string()).describe('cell texts (after trimming) that mean "no value"');

const columnSchema = z.strictObject({
  name: z.string().trim().min(1, { error: 'a column needs a name' }),
  /** number: any finite decimal; integer: a finite decimal with no fractional part ("3" and "3.0" both pass). */
  type: z.enum(['number', 'integer']),
  /** Replaces the dataset-wide markers for this column, so a column can add a sentinel such as "0". */
  missingValues: missingMarkers.optional(),
});

const labelRuleSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('greaterThan'), value: z.number() }),
  z.strictObject({ kind: z.literal('equals'), values: z.array(z.number()).min(1) }),
  /** The column already holds 0/1; any other value makes the row a bad row. */
  z.strictObject({ kind: z.literal('binary') }),
]);

const splitSchema = z.strictObject({
  testFraction: z
    .number()
    .gt(0, { error: 'testFraction must be above 0' })
    .lt(1, { error: 'testFraction must be below 1' }),
  seed: z.number().int(),
});

export const DEFAULT_SPLIT = { testFraction: 0.25, seed: 42 } as const;
export const DEFAULT_MISSING_VALUES: readonly string[] = ['?', ''];
export const DEFAULT_MAX_BAD_ROW_FRACTION = 0.1;

/**
 * One silo's CSV dataset. Files are paths relative to the configuration's folder (or absolute); either one
 * `file` split by `split`, or a `trainFile` + `testFile` pair used as given.
 */
export const csvDatasetConfigSchema = z
  .strictObject({
    id: z.string().trim().min(1, { error: 'the dataset needs an id' }),
    format: z.literal('csv'),
    file: z.string().min(1).optional(),
    trainFile: z.string().min(1).optional(),
    testFile: z.string().min(1).optional(),
    header: z.boolean().default(false),
    delimiter: z
      .string()
      .length(1, { error: 'delimiter must be a single character' })
      .refine((d) => d !== '"' && d !== '\n' && d !== '\r', { error: 'delimiter cannot be a quote or newline' })
      .default(','),
    columns: z.array(columnSchema).min(1, { error: 'at least one column is required' }),
    missingValues: missingMarkers.default([...DEFAULT_MISSING_VALUES]),
    /** impute: from this silo's training rows only (mean for number, mode for integer); drop: discard the row. */
    missingRule: z.enum(['impute', 'drop']).default('impute'),
    label: z.strictObject({ column: z.string().min(1), rule: labelRuleSchema }),
    split: splitSchema.default({ ...DEFAULT_SPLIT }),
    maxBadRowFraction: z.number().min(0).max(1).default(DEFAULT_MAX_BAD_ROW_FRACTION),
  })
  .superRefine((cfg, ctx) => {
    const hasPair = cfg.trainFile !== undefined || cfg.testFile !== undefined;
    if (cfg.file !== undefined && hasPair) {
      ctx.addIssue({ code: 'custom', path: ['file'], message: 'give either file or trainFile + testFile, not both' });
    } else if (cfg.file === undefined && !hasPair) {
      ctx.addIssue({ code: 'custom', path: ['file'], message: 'required (or trainFile + testFile)' });
    } else if (hasPair && cfg.trainFile === undefined) {
      ctx.addIssue({ code: 'custom', path: ['trainFile'], message: 'required with testFile' });
    } else if (hasPair && cfg.testFile === undefined) {
      ctx.addIssue({ code: 'custom', path: ['testFile'], message: 'required with trainFile' });
    }
    const seen = new Set<string>();
    cfg.columns.forEach((c, i) => {
      if (seen.has(c.name)) {
        ctx.addIssue({ code: 'custom', path: ['columns', i, 'name'], message: `duplicate column name "${c.name}"` });
      }
      seen.add(c.name);
    });
    if (!seen.has(cfg.label.column)) {
      ctx.addIssue({
        code: 'custom',
        path: ['label', 'column'],
        message: `"${cfg.label.column}" is not one of the columns`,
      });
    }
  });

export type CsvDatasetConfig = z.output<typeof csvDatasetConfigSchema>;
/** What a configuration file may contain: defaults not yet applied. */
export type CsvDatasetConfigInput = z.input<typeof csvDatasetConfigSchema>;
export type ColumnSpec = CsvDatasetConfig['columns'][number];
export type ColumnType = ColumnSpec['type'];
export type LabelRule = CsvDatasetConfig['label']['rule'];
export type LabelSpec = CsvDatasetConfig['label'];

/** One line per bad field, so a hospital's operator can fix them all in one pass. */
export function describeConfigIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((i) => `${i.path.length > 0 ? i.path.join('.') : '(root)'}: ${i.message}`);
}

/** Validates raw JSON as a dataset configuration; throws DataError DATA_CONFIG_INVALID listing every bad field. */
export function parseCsvDatasetConfig(raw: unknown, source = 'dataset configuration'): CsvDatasetConfig {
  const parsed = csvDatasetConfigSchema.safeParse(raw);
  if (!parsed.success) {
    throw new DataError(
      'DATA_CONFIG_INVALID',
      `${source} is invalid:\n  ${describeConfigIssues(parsed.error.issues).join('\n  ')}`,
    );
  }
  return parsed.data;
}

import { isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { csvDatasetConfigSchema, type CsvDatasetConfig } from '@cohort/data';
import { ConfigurationError, describeIssues, loadConfigFile, readEnvironment } from '@cohort/config';

const policySchema = z.strictObject({
  /** Model templates this hospital lets jobs train on its data. */
  allowedModelTemplates: z
    .array(z.enum(['logreg', 'mlp']))
    .min(1)
    .default(['logreg', 'mlp']),
  /** Researchers (the job's submitter) allowed to use this silo; "*" allows everyone. */
  allowedResearchers: z.array(z.string().min(1)).min(1).default(['*']),
  /** Below this many usable training records the silo declines: small cohorts are easier to re-identify. */
  minTrainExamples: z.number().int().min(1).default(20),
  maxRounds: z.number().int().min(1).default(10_000),
});

export const siloConfigSchema = z.strictObject({
  siloId: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, {
    error: '1-63 letters, digits, ".", "_" or "-", starting with a letter or digit',
  }),
  aggregatorUrl: z.string().min(1).optional(),
  datasets: z.array(csvDatasetConfigSchema).min(1, { error: 'a silo serves at least one dataset' }),
  policy: policySchema.default(policySchema.parse({})),
  /** Where the silo keeps its own state (keys, local audit log); relative to the config file. */
  stateDir: z.string().min(1).optional(),
  logLevel: z.string().optional(),
});

export type SiloPolicy = z.output<typeof policySchema>;

export class SiloConfig {
  constructor(
    readonly siloId: string,
    readonly aggregatorUrl: string,
    readonly datasets: CsvDatasetConfig[],
    readonly policy: SiloPolicy,
    /** Folder that relative paths in the datasets are resolved against. */
    readonly baseDir: string,
    readonly stateDir: string,
    readonly logLevel: string | undefined,
  ) {}

  static async load(path: string, overrides: { aggregatorUrl?: string } = {}): Promise<SiloConfig> {
    const { config, baseDir } = await loadConfigFile(path, siloConfigSchema);
    return SiloConfig.fromParsed(config, baseDir, overrides);
  }

  static fromObject(raw: unknown, baseDir: string, overrides: { aggregatorUrl?: string } = {}): SiloConfig {
    const parsed = siloConfigSchema.safeParse(raw);
    if (!parsed.success) {
      throw new ConfigurationError(
        `invalid silo configuration: ${describeIssues(parsed.error.issues).join('; ')}`,
      );
    }
    return SiloConfig.fromParsed(parsed.data, baseDir, overrides);
  }

  private static fromParsed(
    c: z.output<typeof siloConfigSchema>,
    baseDir: string,
    overrides: { aggregatorUrl?: string },
  ): SiloConfig {
    const aggregatorUrl = overrides.aggregatorUrl ?? c.aggregatorUrl ?? readEnvironment().aggregatorUrl;
    if (!aggregatorUrl) {
      throw new ConfigurationError(
        'the silo needs the aggregator address: set aggregatorUrl in its configuration, pass --aggregator, ' +
          'or set COHORT_AGGREGATOR_URL',
      );
    }
    const stateDir = c.stateDir
      ? isAbsolute(c.stateDir)
        ? c.stateDir
        : resolve(baseDir, c.stateDir)
      : resolve(readEnvironment().home ?? '.cohort', 'silos', c.siloId);
    return new SiloConfig(c.siloId, aggregatorUrl, c.datasets, c.policy, baseDir, join(stateDir), c.logLevel);
  }
}

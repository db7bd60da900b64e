import { readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { csvDatasetConfigSchema, type CsvDatasetConfig } from '@cohort/data';
import { fhirDatasetConfigSchema, fhirPolicySchema, type FhirDatasetConfig } from '@cohort/fhir';
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
  /** automatic: jobs that pass the rules above are accepted; manual: a site admin approves each one. */
  approval: z.enum(['automatic', 'manual']).default('automatic'),
  privacy: z
    .strictObject({
      /** Refuse jobs without differential privacy. */
      requirePrivacy: z.boolean().default(false),
      /** The most epsilon one job may plan to spend on this silo's data. */
      maxEpsilonPerJob: z.number().positive().default(10),
      /** The lifetime budget of each dataset across all jobs (basic composition). */
      lifetimeEpsilon: z.number().positive().default(30),
    })
    .prefault({}),
  /** Which FHIR mappings jobs may run on this silo's FHIR exports (sources, code systems, withheld codes, windows). */
  fhir: fhirPolicySchema.prefault({}),
});

const tlsSchema = z.strictObject({
  /** The federation's CA certificate: the aggregator's server certificate must chain to it. */
  caFile: z.string().min(1),
  /** A certificate from the hospital's own CA; when absent the silo enrols for one from the federation's CA. */
  certFile: z.string().min(1).optional(),
  keyFile: z.string().min(1).optional(),
});

const attestationSchema = z.strictObject({
  kind: z.literal('insecure-dev'),
  /** The local development authority's folder (never for real patient data). */
  authorityDir: z.string().min(1),
});

export const siloConfigSchema = z.strictObject({
  siloId: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, {
    error: '1-63 letters, digits, ".", "_" or "-", starting with a letter or digit',
  }),
  aggregatorUrl: z.string().min(1).optional(),
  datasets: z
    .array(z.discriminatedUnion('format', [csvDatasetConfigSchema, fhirDatasetConfigSchema]))
    .min(1, { error: 'a silo serves at least one dataset' }),
  policy: policySchema.default(policySchema.parse({})),
  tls: tlsSchema.optional(),
  /** The federation trust file: how to verify the enclave and which enclave code this hospital accepts. */
  trustFile: z.string().min(1),
  /** How this agent obtains its own attestation token. */
  attestation: attestationSchema,
  /** Where the silo keeps its own state (keys, local audit log); relative to the config file. */
  stateDir: z.string().min(1).optional(),
  logLevel: z.string().optional(),
  /**
   * An HTTP listener for the container's probes and a Prometheus scrape (/health/live, /health/ready, /metrics).
   * Off unless set: a silo has no inbound socket by design. Bind it where only the probes can reach it.
   */
  health: z
    .strictObject({
      host: z.string().min(1).default('127.0.0.1'),
      port: z.number().int().min(0).max(65535),
    })
    .optional(),
});

export type SiloPolicy = z.output<typeof policySchema>;
/** A CSV file or a FHIR bulk export folder, told apart by `format`. */
export type SiloDatasetConfig = CsvDatasetConfig | FhirDatasetConfig;

export interface SiloTls {
  caFile: string;
  certFile?: string;
  keyFile?: string;
}

export interface SiloOverrides {
  aggregatorUrl?: string;
  /** The one-time token from `cohort silo invite`, needed on the first start only. */
  joinToken?: string;
  /**
   * A file holding the join token (a container's mounted Secret). Read only when present, so the same command
   * starts an enrolled silo after the Secret is removed.
   */
  joinTokenFile?: string;
  insecureTransport?: boolean;
  /** Turns the health/metrics listener on (or moves it); the host defaults to the file's, else 127.0.0.1. */
  healthPort?: number;
  healthHost?: string;
}

export class SiloConfig {
  constructor(
    readonly siloId: string,
    readonly aggregatorUrl: string,
    readonly datasets: SiloDatasetConfig[],
    readonly policy: SiloPolicy,
    /** Folder that relative paths in the datasets are resolved against. */
    readonly baseDir: string,
    readonly stateDir: string,
    readonly logLevel: string | undefined,
    /** Absent only with --insecure-transport on a development machine. */
    readonly tls: SiloTls | undefined,
    readonly trustFile: string,
    readonly authorityDir: string,
    readonly joinToken: string | undefined,
    /** Absent: no listening socket at all. */
    readonly health: { host: string; port: number } | undefined,
  ) {}

  static async load(path: string, overrides: SiloOverrides = {}): Promise<SiloConfig> {
    const { config, baseDir } = await loadConfigFile(path, siloConfigSchema);
    return SiloConfig.fromParsed(config, baseDir, overrides);
  }

  static fromObject(raw: unknown, baseDir: string, overrides: SiloOverrides = {}): SiloConfig {
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
    overrides: SiloOverrides,
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
    const at = (p: string): string => (isAbsolute(p) ? p : resolve(baseDir, p));
    if (!c.tls && !overrides.insecureTransport) {
      throw new ConfigurationError(
        'the silo dials the aggregator over mTLS: give tls.caFile in its configuration (or --insecure-transport on a development machine)',
      );
    }
    const tls = c.tls
      ? {
          caFile: at(c.tls.caFile),
          certFile: c.tls.certFile ? at(c.tls.certFile) : undefined,
          keyFile: c.tls.keyFile ? at(c.tls.keyFile) : undefined,
        }
      : undefined;
    return new SiloConfig(
      c.siloId,
      aggregatorUrl,
      c.datasets,
      c.policy,
      baseDir,
      join(stateDir),
      c.logLevel,
      tls,
      at(c.trustFile),
      at(c.attestation.authorityDir),
      joinTokenOf(overrides),
      overrides.healthPort !== undefined
        ? { host: overrides.healthHost ?? c.health?.host ?? '127.0.0.1', port: overrides.healthPort }
        : c.health && { host: overrides.healthHost ?? c.health.host, port: c.health.port },
    );
  }
}

function joinTokenOf(overrides: SiloOverrides): string | undefined {
  const file = overrides.joinTokenFile;
  if (file === undefined) return overrides.joinToken;
  if (overrides.joinToken !== undefined) {
    throw new ConfigurationError('give the join token once: --join-token or --join-token-file, not both');
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConfigurationError(`cannot read the join token file ${file}: ${(err as Error).message}`);
  }
  const token = text.trim();
  if (token === '') throw new ConfigurationError(`the join token file ${file} is empty`);
  return token;
}

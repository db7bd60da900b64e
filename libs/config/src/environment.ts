// The one place that reads process.env: every variable Cohort understands is validated here, once.
import { z } from 'zod';

const optionalString = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();

const environmentSchema = z.object({
  DATABASE_URL: optionalString,
  TEST_DATABASE_URL: optionalString,
  COHORT_HOME: optionalString,
  COHORT_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
  COHORT_AGGREGATOR_URL: optionalString,
  COHORT_GATEWAY_URL: optionalString,
  COHORT_TOKEN: optionalString,
  COHORT_TF_BACKEND: z.enum(['node', 'wasm', 'cpu']).optional(),
  NO_COLOR: optionalString,
});

export interface Environment {
  /** A PostgreSQL server; when absent the aggregator uses embedded PGlite. */
  databaseUrl?: string;
  /** The PostgreSQL server the tests may use. */
  testDatabaseUrl?: string;
  /** Folder for local state (PGlite data, keys); defaults to ./.cohort. */
  home?: string;
  logLevel?: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  aggregatorUrl?: string;
  gatewayUrl?: string;
  /** A bearer token for the gateway, taking the place of `cohort login`'s stored one. */
  token?: string;
  tfBackend?: 'node' | 'wasm' | 'cpu';
  noColor: boolean;
}

export class ConfigurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigurationError';
  }
}

let cached: Environment | undefined;

/** Validates the environment on first use; a bad value stops the process with a message naming the variable. */
export function readEnvironment(source: NodeJS.ProcessEnv = process.env): Environment {
  if (cached && source === process.env) return cached;
  const parsed = environmentSchema.safeParse(source);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigurationError(`invalid environment variable(s): ${problems}`);
  }
  const e = parsed.data;
  const env: Environment = {
    databaseUrl: e.DATABASE_URL,
    testDatabaseUrl: e.TEST_DATABASE_URL,
    home: e.COHORT_HOME,
    logLevel: e.COHORT_LOG_LEVEL,
    aggregatorUrl: e.COHORT_AGGREGATOR_URL,
    gatewayUrl: e.COHORT_GATEWAY_URL,
    token: e.COHORT_TOKEN,
    tfBackend: e.COHORT_TF_BACKEND,
    noColor: e.NO_COLOR !== undefined,
  };
  if (source === process.env) cached = env;
  return env;
}

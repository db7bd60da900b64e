import { join, resolve } from 'node:path';
import { z } from 'zod';
import { readEnvironment, describeIssues, ConfigurationError } from '@cohort/config';

const schema = z.object({
  host: z.string().min(1).default('127.0.0.1'),
  port: z.number().int().min(0).max(65535).default(50051),
  /** Folder of the embedded PGlite database; ignored when databaseUrl is set. */
  dataDir: z.string().min(1).optional(),
  databaseUrl: z.string().min(1).optional(),
  /** How long a silo may stay silent before it counts as disconnected. */
  logLevel: z.string().optional(),
});

export type AggregatorOptions = z.input<typeof schema>;

export class AggregatorConfig {
  constructor(
    readonly host: string,
    readonly port: number,
    readonly dataDir: string,
    readonly databaseUrl: string | undefined,
    readonly logLevel: string | undefined,
  ) {}

  get address(): string {
    return `${this.host}:${this.port}`;
  }

  /** Validated once at start: options from the CLI, then the environment, then defaults. */
  static from(options: AggregatorOptions): AggregatorConfig {
    const env = readEnvironment();
    const parsed = schema.safeParse({ ...options, databaseUrl: options.databaseUrl ?? env.databaseUrl });
    if (!parsed.success) {
      throw new ConfigurationError(
        `invalid aggregator configuration: ${describeIssues(parsed.error.issues).join('; ')}`,
      );
    }
    const c = parsed.data;
    const dataDir = resolve(c.dataDir ?? join(env.home ?? '.cohort', 'aggregator', 'pgdata'));
    return new AggregatorConfig(c.host, c.port, dataDir, c.databaseUrl, c.logLevel);
  }
}

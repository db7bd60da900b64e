import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigurationError, describeIssues, readEnvironment } from '@cohort/config';

export const DEFAULT_GATEWAY_PORT = 8080;
/** The `aud` the gateway expects in bearer tokens unless configured otherwise. */
export const DEFAULT_AUDIENCE = 'cohort-gateway';
/** Where `cohort aggregator start` listens by default. */
export const DEFAULT_AGGREGATOR_URL = '127.0.0.1:50051';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type GatewayLogLevel = (typeof LOG_LEVELS)[number];

// grpc-js dials "host:port" or one of its own target schemes; a grpc:// URL is accepted and reduced to host:port.
const GRPC_TARGET_SCHEMES = /^(dns|unix|unix-abstract|ipv4|ipv6|vsock):/;
const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

/** Turns the aggregator address a person typed into a grpc-js target, or explains why it cannot. */
export function normalizeAggregatorUrl(raw: string): string {
  const value = raw.trim();
  if (GRPC_TARGET_SCHEMES.test(value)) return value;
  const hostPort = value.replace(/^grpcs?:\/\//, '').replace(/\/+$/, '');
  const match = HOST_PORT.exec(hostPort);
  if (!match || Number(match[2]) < 1 || Number(match[2]) > 65_535) {
    throw new ConfigurationError(
      `invalid aggregator address ${JSON.stringify(raw)}: expected host:port (for example ${DEFAULT_AGGREGATOR_URL})`,
    );
  }
  return hostPort;
}

const schema = z.strictObject({
  host: z.string().trim().min(1).default('127.0.0.1'),
  // 0 asks the operating system for a free port (tests, several gateways on one machine).
  port: z.number().int().min(0).max(65_535).default(DEFAULT_GATEWAY_PORT),
  aggregatorUrl: z.string().trim().min(1).default(DEFAULT_AGGREGATOR_URL),
  /** Largest JSON request body; a job spec is a few kilobytes, so 1 MB leaves room without inviting abuse. */
  bodyLimitBytes: z
    .number()
    .int()
    .min(1024)
    .max(64 * 1024 * 1024)
    .default(1024 * 1024),
  /** How long a unary call to the aggregator may take before the researcher gets a 504. */
  requestTimeoutMs: z.number().int().min(100).max(600_000).default(10_000),
  /** Longest silence allowed between two chunks of a model download. */
  downloadIdleTimeoutMs: z.number().int().min(100).max(600_000).default(30_000),
  /** Largest model the gateway will assemble in memory (packed float32 bytes). */
  maxModelBytes: z
    .number()
    .int()
    .min(1)
    .max(2 ** 31 - 1)
    .default(512 * 1024 * 1024),
  logLevel: z.enum(LOG_LEVELS).default('info'),
  /** Folder with ca.crt, gateway.crt and gateway.key: the gateway's mTLS identity towards the aggregator. */
  tlsDir: z.string().trim().min(1).optional(),
  /** Plaintext gRPC to the aggregator, for a development machine only; refused unless asked for by name. */
  insecureTransport: z.boolean().default(false),
  /** Who may call: bearer tokens of an OpenID Connect issuer, or of the built-in development issuer. */
  auth: z
    .discriminatedUnion('mode', [
      z.strictObject({
        mode: z.literal('dev'),
        /** The development issuer's key folder (`cohort init` puts it in <federation>/dev-issuer); in memory without. */
        keyDir: z.string().trim().min(1).optional(),
        audience: z.string().trim().min(1).default(DEFAULT_AUDIENCE),
      }),
      z.strictObject({
        mode: z.literal('oidc'),
        issuer: z.url({ protocol: /^https?$/ }),
        audience: z.string().trim().min(1).default(DEFAULT_AUDIENCE),
        jwksUri: z.url({ protocol: /^https?$/ }).optional(),
        roleClaim: z.string().trim().min(1).default('roles'),
        usernameClaim: z.string().trim().min(1).optional(),
        clockToleranceSeconds: z.number().int().min(0).max(600).default(60),
      }),
    ])
    .default({ mode: 'dev', audience: DEFAULT_AUDIENCE }),
  /** Requests per principal (or client address before sign-in) per minute; 0 turns the limit off. */
  rateLimitPerMinute: z.number().int().min(0).max(1_000_000).default(600),
});

export type GatewayAuthConfig = z.output<typeof schema>['auth'];

export interface GatewayTls {
  caPem: string;
  certPem: string;
  keyPem: string;
}

export type GatewayOptions = z.input<typeof schema>;

export class GatewayConfig {
  private constructor(
    readonly host: string,
    readonly port: number,
    readonly aggregatorUrl: string,
    readonly bodyLimitBytes: number,
    readonly requestTimeoutMs: number,
    readonly downloadIdleTimeoutMs: number,
    readonly maxModelBytes: number,
    readonly logLevel: GatewayLogLevel,
    /** Absent only with insecureTransport. */
    readonly tls: GatewayTls | undefined,
    readonly auth: GatewayAuthConfig,
    readonly rateLimitPerMinute: number,
  ) {}

  /** Validated once at start: options from the CLI first, then the environment, then defaults. */
  static from(options: GatewayOptions = {}): GatewayConfig {
    const env = readEnvironment();
    const parsed = schema.safeParse({
      ...options,
      aggregatorUrl: options.aggregatorUrl ?? env.aggregatorUrl,
      logLevel: options.logLevel ?? env.logLevel,
    });
    if (!parsed.success) {
      throw new ConfigurationError(
        `invalid gateway configuration: ${describeIssues(parsed.error.issues).join('; ')}`,
      );
    }
    const c = parsed.data;
    if (!c.tlsDir && !c.insecureTransport) {
      throw new ConfigurationError(
        'the gateway calls the aggregator over mTLS: pass --tls-dir (created by `cohort init`), or --insecure-transport on a development machine',
      );
    }
    return new GatewayConfig(
      c.host,
      c.port,
      normalizeAggregatorUrl(c.aggregatorUrl),
      c.bodyLimitBytes,
      c.requestTimeoutMs,
      c.downloadIdleTimeoutMs,
      c.maxModelBytes,
      c.logLevel,
      c.tlsDir ? readTls(c.tlsDir) : undefined,
      c.auth,
      c.rateLimitPerMinute,
    );
  }
}

function readTls(dir: string): GatewayTls {
  const read = (name: string): string => {
    const path = join(dir, name);
    try {
      return readFileSync(path, 'utf8');
    } catch (err) {
      throw new ConfigurationError(`cannot read ${path} (run \`cohort init\`): ${(err as Error).message}`);
    }
  };
  return { caPem: read('ca.crt'), certPem: read('gateway.crt'), keyPem: read('gateway.key') };
}

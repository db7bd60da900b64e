import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { readEnvironment, describeIssues, ConfigurationError } from '@cohort/config';

const schema = z.object({
  host: z.string().min(1).default('127.0.0.1'),
  port: z.number().int().min(0).max(65535).default(50051),
  /** Folder of the embedded PGlite database; ignored when databaseUrl is set. */
  dataDir: z.string().min(1).optional(),
  databaseUrl: z.string().min(1).optional(),
  /** Folder with ca.crt, aggregator.crt, aggregator.key (and ca.key to sign silos' enrolment CSRs): see `cohort init`. */
  tlsDir: z.string().min(1).optional(),
  /** Plaintext gRPC, for a development machine only; refused unless asked for by name. */
  insecureTransport: z.boolean().default(false),
  /** The federation's trust file: verifiers and allowed measurements (see `cohort init`). */
  trustFile: z.string().min(1),
  /** The insecure-dev attestation authority's folder, used by the enclave's development attester. */
  authorityDir: z.string().min(1),
  /** Client certificate names allowed to call the JobsService (the gateway). */
  gatewayNames: z.array(z.string().min(1)).default(['gateway']),
  /** Folder of the Ed25519 key that signs audit checkpoints (created on first start, mode 0600). */
  auditKeyDir: z.string().min(1).optional(),
  logLevel: z.string().optional(),
  /**
   * This replica's name in the job leases (default host:port: stable across a restart of the same replica, so it
   * takes its own jobs back at once). Replicas sharing one database must have different names.
   */
  replicaId: z.string().min(1).max(200).optional(),
  /** How long a job's lease lasts without a heartbeat: a dead replica's jobs move to another after at most this. */
  leaseMs: z.number().int().min(1000).max(600_000).default(15_000),
  /**
   * Where /health/live, /health/ready and /metrics are served over HTTP (the service itself speaks gRPC only);
   * no port, no listener. 0 picks a free port. The host defaults to the gRPC host.
   */
  healthHost: z.string().min(1).optional(),
  healthPort: z.number().int().min(0).max(65535).optional(),
  /**
   * Connections to PostgreSQL. Job intake, the event streams' reads, leases and the audit writer run side by
   * side; with a pool of 4, 50 submissions a second queued behind each other (see `cohort bench gateway`).
   */
  databasePoolSize: z.number().int().min(1).max(200).default(10),
});

export type AggregatorOptions = z.input<typeof schema>;

export interface TlsFiles {
  caFile: string;
  certFile: string;
  keyFile: string;
  /** Present when this aggregator signs enrolling silos' certificates (a local CA); absent with a hospital CA. */
  caKeyFile?: string;
}

export class AggregatorConfig {
  constructor(
    readonly host: string,
    readonly port: number,
    readonly dataDir: string,
    readonly databaseUrl: string | undefined,
    readonly tls: TlsFiles | undefined,
    readonly trustFile: string,
    readonly authorityDir: string,
    readonly gatewayNames: string[],
    readonly logLevel: string | undefined,
    readonly auditKeyDir: string,
    /** The job leases: this replica's name and how long a lease lasts without a heartbeat. */
    readonly lease: { replicaId: string; leaseMs: number },
    /** Absent: no health/metrics listener. */
    readonly health: { host: string; port: number } | undefined,
    readonly databasePoolSize: number,
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
    if (!c.tlsDir && !c.insecureTransport) {
      throw new ConfigurationError(
        'the aggregator serves mTLS gRPC: pass --tls-dir (created by `cohort init`), or --insecure-transport on a development machine',
      );
    }
    let tls: TlsFiles | undefined;
    if (c.tlsDir) {
      const dir = resolve(c.tlsDir);
      tls = {
        caFile: join(dir, 'ca.crt'),
        certFile: join(dir, 'aggregator.crt'),
        keyFile: join(dir, 'aggregator.key'),
      };
      for (const f of [tls.caFile, tls.certFile, tls.keyFile]) {
        if (!existsSync(f)) throw new ConfigurationError(`TLS file ${f} is missing (run \`cohort init\`)`);
      }
      if (existsSync(join(dir, 'ca.key'))) tls.caKeyFile = join(dir, 'ca.key');
    }
    const dataDir = resolve(c.dataDir ?? join(env.home ?? '.cohort', 'aggregator', 'pgdata'));
    return new AggregatorConfig(
      c.host,
      c.port,
      dataDir,
      c.databaseUrl,
      tls,
      resolve(c.trustFile),
      resolve(c.authorityDir),
      c.gatewayNames,
      c.logLevel,
      // Beside the database folder, never inside it: PGlite owns that folder.
      resolve(c.auditKeyDir ?? join(dirname(dataDir), 'audit-key')),
      { replicaId: c.replicaId ?? `${hostname()}:${c.port}`, leaseMs: c.leaseMs },
      c.healthPort === undefined ? undefined : { host: c.healthHost ?? c.host, port: c.healthPort },
      c.databasePoolSize,
    );
  }
}

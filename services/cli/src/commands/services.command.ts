import type { Command } from 'commander';
import { parsePort, parsePositiveInt } from '../output.js';
import { runUntilSignalled } from './lifecycle.js';

/** `cohort aggregator start`, `cohort gateway start`, `cohort silo start`: what the demo runs, one per process. */
export function registerServiceCommands(program: Command): void {
  program
    .command('aggregator')
    .description('the aggregator: gRPC server for silos and the gateway')
    .command('start')
    .description('start the aggregator')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'gRPC port', parsePort, 50051)
    .option('--data-dir <dir>', 'embedded PGlite folder (ignored when DATABASE_URL is set)')
    .option('--database-url <url>', 'PostgreSQL connection URL (default: DATABASE_URL, else embedded PGlite)')
    .option(
      '--federation <dir>',
      'the files of `cohort init` (TLS, trust file, dev authority)',
      '.cohort/federation',
    )
    .option('--tls-dir <dir>', 'ca.crt, aggregator.crt, aggregator.key (default: <federation>/pki)')
    .option('--trust <file>', 'the federation trust file (default: <federation>/trust.json)')
    .option(
      '--authority-dir <dir>',
      'the insecure-dev attestation authority (default: <federation>/attestation)',
    )
    .option(
      '--audit-key-dir <dir>',
      'the audit checkpoint key (identity.key); replicas share one (default: beside the data folder)',
    )
    .option('--replica-id <name>', "this replica's name in the job leases (default: host:port)")
    .option(
      '--lease-ms <ms>',
      "how long a job lease lasts without a heartbeat: a dead replica's jobs move on after at most this",
      parsePositiveInt('--lease-ms'),
      15_000,
    )
    .option('--insecure-transport', 'plaintext gRPC (development machines only)')
    .option(
      '--health-port <port>',
      'serve /health/live, /health/ready and /metrics over HTTP on this port (off unless given; 0: any free port)',
      parsePort,
    )
    .option('--health-host <host>', 'address of the health/metrics listener (default: --host)')
    .option(
      '--database-pool-size <n>',
      'connections to PostgreSQL (ignored for the embedded PGlite)',
      parsePositiveInt('--database-pool-size'),
    )
    .action(
      async (o: {
        host: string;
        port: number;
        replicaId?: string;
        leaseMs: number;
        healthPort?: number;
        healthHost?: string;
        databasePoolSize?: number;
        dataDir?: string;
        databaseUrl?: string;
        federation: string;
        tlsDir?: string;
        trust?: string;
        authorityDir?: string;
        auditKeyDir?: string;
        insecureTransport?: boolean;
      }) => {
        const { federationPaths } = await import('../federation-init.js');
        const { startAggregator } = await import('../../../aggregator/src/bootstrap.js');
        const paths = federationPaths(o.federation);
        const running = await startAggregator({
          host: o.host,
          port: o.port,
          dataDir: o.dataDir,
          databaseUrl: o.databaseUrl,
          tlsDir: o.insecureTransport ? undefined : (o.tlsDir ?? paths.pkiDir),
          insecureTransport: Boolean(o.insecureTransport),
          trustFile: o.trust ?? paths.trustFile,
          authorityDir: o.authorityDir ?? paths.authorityDir,
          auditKeyDir: o.auditKeyDir,
          replicaId: o.replicaId,
          leaseMs: o.leaseMs,
          healthPort: o.healthPort,
          healthHost: o.healthHost,
          databasePoolSize: o.databasePoolSize,
        });
        await runUntilSignalled(
          {
            service: 'aggregator',
            address: running.address,
            ...(running.healthUrl ? { health: running.healthUrl } : {}),
            database: running.databaseKind,
            enclaveMeasurement: running.enclaveMeasurement,
          },
          () => running.close(),
        );
      },
    );

  program
    .command('gateway')
    .description('the researcher-facing HTTP gateway')
    .command('start')
    .description('start the gateway')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'HTTP port', parsePort, 8080)
    .option(
      '--aggregator <host:port>',
      'the aggregator (default: COHORT_AGGREGATOR_URL, else 127.0.0.1:50051)',
    )
    .option('--federation <dir>', 'the files of `cohort init`', '.cohort/federation')
    .option('--tls-dir <dir>', 'ca.crt, gateway.crt, gateway.key (default: <federation>/pki)')
    .option('--insecure-transport', 'plaintext gRPC to the aggregator (development machines only)')
    .option(
      '--oidc-issuer <url>',
      'sign-in through this OpenID Connect issuer (Keycloak realm, Entra ID tenant); without it, the development issuer',
    )
    .option('--oidc-audience <aud>', "the gateway's audience in the provider's tokens", 'cohort-gateway')
    .option(
      '--oidc-role-claim <path>',
      'where the roles are in a token (Keycloak: realm_access.roles)',
      'roles',
    )
    .option('--oidc-jwks-uri <url>', 'the key set, when discovery does not give it')
    .option('--dev-issuer-dir <dir>', "the development issuer's key (default: <federation>/dev-issuer)")
    .action(
      async (o: {
        host: string;
        port: number;
        aggregator?: string;
        federation: string;
        tlsDir?: string;
        insecureTransport?: boolean;
        oidcIssuer?: string;
        oidcAudience: string;
        oidcRoleClaim: string;
        oidcJwksUri?: string;
        devIssuerDir?: string;
      }) => {
        const { readEnvironment } = await import('@cohort/config');
        const { federationPaths } = await import('../federation-init.js');
        const { startGateway } = await import('../../../gateway/src/bootstrap.js');
        const running = await startGateway({
          host: o.host,
          port: o.port,
          aggregatorUrl: o.aggregator ?? readEnvironment().aggregatorUrl ?? '127.0.0.1:50051',
          tlsDir: o.insecureTransport ? undefined : (o.tlsDir ?? federationPaths(o.federation).pkiDir),
          insecureTransport: Boolean(o.insecureTransport),
          auth: o.oidcIssuer
            ? {
                mode: 'oidc',
                issuer: o.oidcIssuer,
                audience: o.oidcAudience,
                roleClaim: o.oidcRoleClaim,
                jwksUri: o.oidcJwksUri,
              }
            : { mode: 'dev', keyDir: o.devIssuerDir ?? federationPaths(o.federation).devIssuerDir },
        });
        await runUntilSignalled({ service: 'gateway', url: running.url }, () => running.close());
      },
    );

  program
    .command('silo')
    .description("a hospital's silo agent")
    .command('start')
    .description('start a silo agent (outbound connections only)')
    .requiredOption('--config <file>', 'the silo configuration (JSON)')
    .option('--aggregator <host:port>', 'overrides aggregatorUrl of the configuration')
    .option('--join-token <token>', 'the one-time token from `cohort silo invite` (first start only)')
    .option(
      '--join-token-file <file>',
      'a file holding the join token (a mounted Secret); ignored when absent, as after enrolment',
    )
    .option('--insecure-transport', 'plaintext gRPC (development machines only)')
    .option(
      '--health-port <port>',
      "serve /health/live, /health/ready and /metrics for the container's probes (off unless given or configured)",
      parsePort,
    )
    .option('--health-host <host>', 'address of the health/metrics listener (default: 127.0.0.1)')
    .action(
      async (o: {
        config: string;
        healthPort?: number;
        healthHost?: string;
        aggregator?: string;
        joinToken?: string;
        joinTokenFile?: string;
        insecureTransport?: boolean;
      }) => {
        const { SiloConfig } = await import('../../../silo-agent/src/config.js');
        const { startSilo } = await import('../../../silo-agent/src/bootstrap.js');
        const config = await SiloConfig.load(o.config, {
          aggregatorUrl: o.aggregator,
          joinToken: o.joinToken,
          joinTokenFile: o.joinTokenFile,
          insecureTransport: o.insecureTransport,
          healthPort: o.healthPort,
          healthHost: o.healthHost,
        });
        const running = await startSilo(config);
        await runUntilSignalled(
          {
            service: 'silo',
            siloId: running.siloId,
            backend: running.backend,
            keyFingerprint: running.keyFingerprint,
            agentMeasurement: running.agentMeasurement,
            ...(running.healthUrl ? { health: running.healthUrl } : {}),
          },
          () => running.close(),
        );
      },
    );
}

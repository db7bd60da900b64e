import 'reflect-metadata';
import type { INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { MicroserviceOptions } from '@nestjs/microservices';
import { ServerCredentials, experimental } from '@grpc/grpc-js';
import {
  SERVER_RECEIVE_WINDOW_BYTES,
  GRPC_CHANNEL_OPTIONS,
  PROTO_FILES,
  PROTO_LOADER_OPTIONS,
  PROTO_PACKAGE,
} from '@cohort/protocol';
import { WideWindowGrpcServer } from './common/flow-control.js';
import {
  AggregatorMetrics,
  createLogger,
  createMetricsRegistry,
  startHealthServer,
  type Logger,
  type RunningHealthServer,
} from '@cohort/observability';
import { AggregatorConfig, type AggregatorOptions } from './config.js';
import { AggregatorModule } from './app.module.js';
import { GrpcExceptionFilter } from './common/grpc-exception.filter.js';
import { openAggregatorDatabase } from './database/database.providers.js';
import { PostgresAuditStore } from '@cohort/audit';
import { openAggregatorAuditLog } from './audit/audit-writer.js';
import { EnclaveClient } from './enclave/enclave.client.js';
import { EnclaveHost } from './enclave/enclave-host.service.js';
import { AggregatorHealthModule } from './health/health.module.js';
import { loadAggregatorTrust } from './trust/trust.provider.js';

export interface RunningAggregator {
  /** host:port the gRPC server listens on. */
  address: string;
  databaseKind: 'pglite' | 'postgres';
  /** http://host:port of /health/live, /health/ready and /metrics; absent unless a health port was given. */
  healthUrl?: string;
  enclaveMeasurement: string;
  close(): Promise<void>;
}

/**
 * mTLS where the client certificate is requested but not required at the handshake: a silo enrols before it
 * has one. Every other call checks the verified certificate's name (grpc-js reports none for an unverified one).
 */
function credentials(config: AggregatorConfig, log: Logger): ServerCredentials {
  if (!config.tls) {
    log.warn('INSECURE TRANSPORT: gRPC without TLS; for a development machine only');
    return ServerCredentials.createInsecure();
  }
  const provider = new experimental.FileWatcherCertificateProvider({
    caCertificateFile: config.tls.caFile,
    certificateFile: config.tls.certFile,
    privateKeyFile: config.tls.keyFile,
    refreshIntervalMs: 3_600_000,
  });
  return experimental.createCertificateProviderServerCredentials(provider, provider, false);
}

/** Starts the aggregator's gRPC server (FederationService for silos, JobsService for the gateway) and its enclave. */
export async function startAggregator(options: AggregatorOptions): Promise<RunningAggregator> {
  const config = AggregatorConfig.from(options);
  const log = createLogger('aggregator', config.logLevel);
  const trust = await loadAggregatorTrust(config.trustFile, config.tls?.caFile);
  const db = await openAggregatorDatabase(config);
  const audit = await openAggregatorAuditLog(new PostgresAuditStore(db), config.auditKeyDir, log);
  const enclave = new EnclaveHost(await EnclaveClient.start({ authorityDir: config.authorityDir, log }));
  // One registry per aggregator (never prom-client's global one), shared by the gRPC and the health apps.
  const metrics = new AggregatorMetrics(createMetricsRegistry('aggregator'));
  let health: RunningHealthServer | undefined;
  let app: INestMicroservice | undefined;
  try {
    const grpcServer = new WideWindowGrpcServer(
      {
        url: config.address,
        package: PROTO_PACKAGE,
        protoPath: PROTO_FILES,
        loader: PROTO_LOADER_OPTIONS,
        channelOptions: GRPC_CHANNEL_OPTIONS,
        credentials: credentials(config, log),
      },
      SERVER_RECEIVE_WINDOW_BYTES,
    );
    app = await NestFactory.createMicroservice<MicroserviceOptions>(
      AggregatorModule.register(config, db, log, trust, enclave, audit, metrics),
      { logger: false, strategy: grpcServer },
    );
    const listening = app;
    app.useGlobalFilters(new GrpcExceptionFilter(log));
    await app.listen();
    if (!grpcServer.widened) {
      log.warn(
        'cannot widen the HTTP/2 receive windows of this grpc-js version: uploads take 64 KiB per round trip',
      );
    }
    // Started last: readiness is only ever answered by an aggregator that is serving.
    if (config.health) {
      health = await startHealthServer(
        config.health.host,
        config.health.port,
        AggregatorHealthModule.register({ db, enclave, metrics }),
        log,
      );
    }
    log.info(
      {
        address: config.address,
        database: db.kind,
        tls: Boolean(config.tls),
        enclave: enclave.description.measurement,
        health: health?.url,
      },
      'aggregator listening',
    );
    return {
      address: config.address,
      healthUrl: health?.url,
      databaseKind: db.kind,
      enclaveMeasurement: enclave.description.measurement,
      close: async () => {
        // Unready first, so an orchestrator stops sending work while the gRPC server drains.
        await health?.close();
        await listening.close();
      },
    };
  } catch (err) {
    // A gRPC server already listening is closed too (its shutdown hook stops the enclave and the database).
    if (app) {
      await app.close();
    } else {
      await enclave.stop();
      await db.close();
    }
    throw err;
  }
}

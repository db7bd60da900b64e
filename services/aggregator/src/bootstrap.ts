import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Transport, type MicroserviceOptions } from '@nestjs/microservices';
import { GRPC_CHANNEL_OPTIONS, PROTO_FILES, PROTO_LOADER_OPTIONS, PROTO_PACKAGE } from '@cohort/protocol';
import { createLogger } from '@cohort/observability';
import { AggregatorConfig, type AggregatorOptions } from './config.js';
import { AggregatorModule } from './app.module.js';
import { GrpcExceptionFilter } from './common/grpc-exception.filter.js';
import { openAggregatorDatabase } from './database/database.providers.js';

export interface RunningAggregator {
  /** host:port the gRPC server listens on. */
  address: string;
  databaseKind: 'pglite' | 'postgres';
  close(): Promise<void>;
}

/** Starts the aggregator's gRPC server (FederationService for silos, JobsService for the gateway). */
export async function startAggregator(options: AggregatorOptions): Promise<RunningAggregator> {
  const config = AggregatorConfig.from(options);
  const log = createLogger('aggregator', config.logLevel);
  const db = await openAggregatorDatabase(config);
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(
    AggregatorModule.register(config, db, log),
    {
      logger: false,
      transport: Transport.GRPC,
      options: {
        url: config.address,
        package: PROTO_PACKAGE,
        protoPath: PROTO_FILES,
        loader: PROTO_LOADER_OPTIONS,
        channelOptions: GRPC_CHANNEL_OPTIONS,
      },
    },
  );
  app.useGlobalFilters(new GrpcExceptionFilter(log));
  await app.listen();
  log.info({ address: config.address, database: db.kind }, 'aggregator listening');
  return {
    address: config.address,
    databaseKind: db.kind,
    close: async () => {
      await app.close();
    },
  };
}

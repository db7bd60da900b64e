import { Module } from '@nestjs/common';
import { ClientsModule, Transport } from '@nestjs/microservices';
import { credentials } from '@grpc/grpc-js';
import { channelCredentials } from '@cohort/pki';
import {
  COHORT_V1_PACKAGE_NAME,
  GRPC_CHANNEL_OPTIONS,
  PROTO_FILES,
  PROTO_LOADER_OPTIONS,
} from '@cohort/protocol';
import { AGGREGATOR_GRPC_CLIENT, GATEWAY_CONFIG } from '../common/tokens.js';
import type { GatewayConfig } from '../config.js';
import { JobsClient } from './jobs.client.js';

/** The gRPC connection to the aggregator's JobsService. */
@Module({
  imports: [
    ClientsModule.registerAsync([
      {
        name: AGGREGATOR_GRPC_CLIENT,
        inject: [GATEWAY_CONFIG],
        useFactory: (config: GatewayConfig) => ({
          transport: Transport.GRPC,
          options: {
            url: config.aggregatorUrl,
            package: COHORT_V1_PACKAGE_NAME,
            protoPath: PROTO_FILES,
            loader: PROTO_LOADER_OPTIONS,
            // A copy: the Nest client writes its own size limits into the object it is given.
            channelOptions: { ...GRPC_CHANNEL_OPTIONS },
            // mTLS: the aggregator answers the JobsService only for the gateway's certificate.
            credentials: config.tls ? channelCredentials(config.tls) : credentials.createInsecure(),
          },
        }),
      },
    ]),
  ],
  providers: [JobsClient],
  exports: [JobsClient],
})
export class AggregatorModule {}

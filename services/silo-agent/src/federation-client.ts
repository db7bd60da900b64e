import { ClientProxyFactory, Transport, type ClientGrpcProxy } from '@nestjs/microservices';
import { credentials as grpcCredentials } from '@grpc/grpc-js';
import { channelCredentials } from '@cohort/pki';
import {
  FEDERATION_SERVICE_NAME,
  GRPC_CHANNEL_OPTIONS,
  PROTO_FILES,
  PROTO_LOADER_OPTIONS,
  PROTO_PACKAGE,
  type FederationServiceClient,
} from '@cohort/protocol';

export const FEDERATION_CLIENT = Symbol('FEDERATION_CLIENT');

/**
 * The silo's only connection: outbound, to the aggregator (hospitals open no inbound port). With the CA alone
 * it authenticates the aggregator (enrolment); with the silo's certificate too it is mutual TLS.
 */
export function createFederationClient(
  aggregatorUrl: string,
  tls: { caPem: string; certPem?: string; keyPem?: string } | undefined,
): { proxy: ClientGrpcProxy; client: FederationServiceClient } {
  const proxy = ClientProxyFactory.create({
    transport: Transport.GRPC,
    options: {
      url: aggregatorUrl,
      package: PROTO_PACKAGE,
      protoPath: PROTO_FILES,
      loader: PROTO_LOADER_OPTIONS,
      channelOptions: GRPC_CHANNEL_OPTIONS,
      credentials: tls ? channelCredentials(tls) : grpcCredentials.createInsecure(),
    },
  });
  return { proxy, client: proxy.getService<FederationServiceClient>(FEDERATION_SERVICE_NAME) };
}

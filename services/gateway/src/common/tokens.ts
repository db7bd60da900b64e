/** Injection tokens shared across the gateway's modules. */
export const LOGGER = Symbol('LOGGER');
export const GATEWAY_CONFIG = Symbol('GATEWAY_CONFIG');
/** The Nest gRPC client (ClientGrpc) for the aggregator's JobsService. */
export const AGGREGATOR_GRPC_CLIENT = Symbol('AGGREGATOR_GRPC_CLIENT');
/** The gateway's GatewayMetrics (its own prom-client registry). */
export const METRICS = Symbol('METRICS');

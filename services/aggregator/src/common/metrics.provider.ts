/** The aggregator's AggregatorMetrics (its own prom-client registry), shared by the gRPC and health apps. */
export const AGGREGATOR_METRICS = Symbol('AGGREGATOR_METRICS');

export * from './logger.js';
export * from './metrics/registry.js';
export * from './metrics/aggregator-metrics.js';
export * from './metrics/gateway-metrics.js';
export * from './metrics/silo-metrics.js';
export * from './request-id.js';
export * from './nest-logger.js';
export * from './health-server.js';

import { Registry, collectDefaultMetrics } from 'prom-client';

/** The content type a Prometheus scrape expects (text exposition format 0.0.4). */
export const METRICS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

/**
 * One registry per running service, never prom-client's global one: two services in one process (the demo,
 * the tests) would otherwise share and double-register their counters. Process metrics (CPU, RSS, event-loop
 * lag, GC) come with it, labelled with the service.
 */
export function createMetricsRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry, prefix: 'cohort_' });
  return registry;
}

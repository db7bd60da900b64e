import { Counter, register as globalRegistry } from 'prom-client';
import { METRICS_CONTENT_TYPE, createMetricsRegistry } from './registry.js';

describe('createMetricsRegistry', () => {
  it('labels every sample with the service and carries the process metrics', async () => {
    const text = await createMetricsRegistry('gateway').metrics();
    expect(text).toMatch(/^cohort_process_resident_memory_bytes\{service="gateway"\} \d+$/m);
    expect(text).toMatch(/^cohort_nodejs_eventloop_lag_seconds\{service="gateway"\} /m);
    expect(METRICS_CONTENT_TYPE).toMatch(/^text\/plain; version=0\.0\.4/);
  });

  it("gives each service its own registry, never prom-client's global one", async () => {
    const a = createMetricsRegistry('aggregator');
    const b = createMetricsRegistry('aggregator');
    new Counter({ name: 'cohort_test_total', help: 'test', registers: [a] }).inc(3);
    // The same name again in a second registry is no clash: two services in one process do this.
    new Counter({ name: 'cohort_test_total', help: 'test', registers: [b] });
    expect(await a.metrics()).toMatch(/^cohort_test_total\{service="aggregator"\} 3$/m);
    expect(await b.metrics()).toMatch(/^cohort_test_total\{service="aggregator"\} 0$/m);
    expect(globalRegistry.getSingleMetric('cohort_test_total')).toBeUndefined();
  });
});

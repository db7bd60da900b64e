import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export const HTTP_SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The gateway's request metrics; `route` is the matched pattern (/v1/jobs/:id), never a raw path. */
export class GatewayMetrics {
  private readonly requests: Counter<'method' | 'route' | 'status'>;
  private readonly seconds: Histogram<'method' | 'route'>;
  private readonly streams: Gauge;

  constructor(readonly registry: Registry) {
    const registers = [registry];
    this.requests = new Counter({
      name: 'cohort_gateway_http_requests_total',
      help: 'HTTP requests answered by the gateway, by method, route pattern and status',
      labelNames: ['method', 'route', 'status'],
      registers,
    });
    this.seconds = new Histogram({
      name: 'cohort_gateway_http_request_duration_seconds',
      help: 'Time to answer an HTTP request (a Server-Sent Events stream counts until it closes)',
      labelNames: ['method', 'route'],
      buckets: HTTP_SECONDS_BUCKETS,
      registers,
    });
    this.streams = new Gauge({
      name: 'cohort_gateway_event_streams',
      help: 'Open Server-Sent Events streams (job watchers)',
      registers,
    });
  }

  requestEnded(method: string, route: string, status: number, ms: number): void {
    this.requests.inc({ method, route, status: String(status) });
    this.seconds.observe({ method, route }, ms / 1000);
  }

  streamOpened(): void {
    this.streams.inc();
  }

  streamClosed(): void {
    this.streams.dec();
  }
}

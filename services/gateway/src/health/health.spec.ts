import { createServer } from 'node:net';
import { status } from '@grpc/grpc-js';
import type { JobsServiceController } from '@cohort/protocol';
import { startGateway, type RunningGateway } from '../bootstrap.js';
import { FakeGrpcError, startFakeJobsService, type FakeJobsServer } from '../testing/fake-jobs-service.js';

/** An aggregator that answers every call UNIMPLEMENTED: readiness must not depend on any call succeeding. */
const silentAggregator = new Proxy(
  {},
  {
    get: () => () => {
      throw new FakeGrpcError(status.UNIMPLEMENTED, 'not in this test');
    },
  },
) as JobsServiceController;

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function gatewayFor(aggregatorUrl: string): Promise<RunningGateway> {
  return startGateway({ aggregatorUrl, port: 0, logLevel: 'silent', insecureTransport: true });
}

/** One sample's value from the text exposition format, or undefined when the series is absent. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const body = line.slice(name.length + 1, line.lastIndexOf('}'));
    const found = Object.fromEntries(
      [...body.matchAll(/([a-z_]+)="([^"]*)"/g)].map((m) => [m[1], m[2]] as [string, string]),
    );
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) {
      return Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return undefined;
}

describe('gateway health and metrics', () => {
  describe('with the aggregator up', () => {
    let fake: FakeJobsServer;
    let gateway: RunningGateway;

    beforeAll(async () => {
      fake = await startFakeJobsService(silentAggregator);
      gateway = await gatewayFor(fake.url);
    });
    afterAll(async () => {
      await gateway.close();
      await fake.stop();
    });

    it('is live and ready, without a token', async () => {
      const live = await fetch(`${gateway.url}/health/live`);
      expect(live.status).toBe(200);
      expect(await live.json()).toMatchObject({ status: 'ok' });
      const ready = await fetch(`${gateway.url}/health/ready`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ status: 'ok', info: { aggregator: { status: 'up' } } });
    });

    it('counts requests by route pattern and status, and unknown paths under one label', async () => {
      const before = await (await fetch(`${gateway.url}/metrics`)).text();
      const base =
        sample(before, 'cohort_gateway_http_requests_total', { route: '/healthz', status: '200' }) ?? 0;
      for (let i = 0; i < 3; i++) expect((await fetch(`${gateway.url}/healthz`)).status).toBe(200);
      expect((await fetch(`${gateway.url}/no/such/route/${i()}`)).status).toBe(404);
      const res = await fetch(`${gateway.url}/metrics`);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = await res.text();
      expect(
        sample(text, 'cohort_gateway_http_requests_total', {
          method: 'GET',
          route: '/healthz',
          status: '200',
          service: 'gateway',
        }),
      ).toBe(base + 3);
      expect(
        sample(text, 'cohort_gateway_http_requests_total', { route: '(unmatched)', status: '404' }),
      ).toBe(1);
      expect(text).not.toContain('/no/such/route');
      expect(text).toContain('cohort_process_resident_memory_bytes');
      expect(sample(text, 'cohort_gateway_event_streams', { service: 'gateway' })).toBe(0);
    });

    it("echoes a caller's plain request id and replaces one that is not", async () => {
      const kept = await fetch(`${gateway.url}/healthz`, { headers: { 'x-request-id': 'lb-1234.abc' } });
      expect(kept.headers.get('x-request-id')).toBe('lb-1234.abc');
      const replaced = await fetch(`${gateway.url}/healthz`, {
        headers: { 'x-request-id': 'a b\u00e9<script>' },
      });
      expect(replaced.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      const fresh = await fetch(`${gateway.url}/healthz`);
      expect(fresh.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    });
  });

  it('two gateways in one process keep separate counters', async () => {
    const fake = await startFakeJobsService(silentAggregator);
    const [a, b] = [await gatewayFor(fake.url), await gatewayFor(fake.url)];
    try {
      await fetch(`${a.url}/healthz`);
      const textB = await (await fetch(`${b.url}/metrics`)).text();
      expect(sample(textB, 'cohort_gateway_http_requests_total', { route: '/healthz' })).toBeUndefined();
    } finally {
      await a.close();
      await b.close();
      await fake.stop();
    }
  });

  it('is live but not ready while the aggregator cannot be reached', async () => {
    const gateway = await gatewayFor(`127.0.0.1:${await closedPort()}`);
    try {
      expect((await fetch(`${gateway.url}/health/live`)).status).toBe(200);
      const ready = await fetch(`${gateway.url}/health/ready`);
      expect(ready.status).toBe(503);
      const body = (await ready.json()) as { status: string; error: { aggregator: { message: string } } };
      expect(body.status).toBe('error');
      expect(body.error.aggregator.message).toMatch(/^the aggregator cannot be reached/);
    } finally {
      await gateway.close();
    }
  });
});

let counter = 0;
function i(): number {
  return counter++;
}

// Health and metrics (issue 9, part 2): every service answers /health/live, /health/ready and /metrics as the
// orchestrator's probes and Prometheus would call them; the metrics move with a job's rounds; readiness follows
// the aggregator's outage while liveness does not.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ServiceProcess } from '../services/cli/src/demo/processes.js';
import {
  EXAMPLES_DIR,
  runJob,
  startFederation,
  waitFor,
  waitForConnected,
  type Federation,
} from './support/federation.js';

const HOSPITALS = ['cleveland', 'hungarian'];
const ROUNDS = 2;

/** The sum of every sample of `name` whose labels include `labels` (text exposition format). */
function total(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  let seen = false;
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const found = Object.fromEntries(
      [...(m[3] ?? '').matchAll(/([a-zA-Z_]+)="([^"]*)"/g)].map((x) => [x[1], x[2]]),
    );
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) {
      sum += Number(m[4]);
      seen = true;
    }
  }
  if (!seen) throw new Error(`no sample of ${name} with ${JSON.stringify(labels)}`);
  return sum;
}

async function get(url: string): Promise<{ status: number; text: string; type: string | null }> {
  const res = await fetch(url);
  return { status: res.status, text: await res.text(), type: res.headers.get('content-type') };
}

describe('health and metrics of the real services', () => {
  let f: Federation;
  let aggregatorHealth: string;
  const siloHealth: Record<string, string> = {};
  const silos: ServiceProcess[] = [];

  beforeAll(async () => {
    f = await startFederation({ aggregatorArgs: ['--health-port', '0'] });
    aggregatorHealth = String(f.aggregatorReady.health);
    for (const h of HOSPITALS) {
      const s = await f.startSilo(h, await f.hospitalConfig(h), ['--health-port', '0']);
      silos.push(s);
      siloHealth[h] = String(s.ready.health);
    }
    await waitForConnected(f, HOSPITALS.length);
  }, 240_000);

  afterAll(async () => {
    await f?.stop();
  }, 60_000);

  it('announces where each listener is, on loopback', () => {
    expect(aggregatorHealth).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    for (const h of HOSPITALS) expect(siloHealth[h]).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('is live and ready everywhere, saying what readiness checked', async () => {
    for (const base of [f.gatewayUrl, aggregatorHealth, ...Object.values(siloHealth)]) {
      expect((await get(`${base}/health/live`)).status).toBe(200);
    }
    const gateway = JSON.parse((await get(`${f.gatewayUrl}/health/ready`)).text);
    expect(gateway).toMatchObject({ status: 'ok', info: { aggregator: { status: 'up' } } });
    const aggregator = JSON.parse((await get(`${aggregatorHealth}/health/ready`)).text);
    expect(aggregator).toMatchObject({
      status: 'ok',
      info: {
        database: { status: 'up' },
        migrations: { status: 'up' },
        enclave: { status: 'up', measurement: f.aggregatorReady.enclaveMeasurement },
      },
    });
    for (const h of HOSPITALS) {
      // The session counts as up a moment after the stream opens; the probe is retried as a kubelet would.
      const silo = await waitFor(`${h} ready`, async () => {
        const r = await get(`${siloHealth[h]}/health/ready`);
        return r.status === 200 ? JSON.parse(r.text) : undefined;
      });
      expect(silo).toMatchObject({
        status: 'ok',
        info: {
          datasets: { status: 'up', loaded: ['uci-heart-disease'] },
          aggregatorSession: { status: 'up' },
        },
      });
    }
  });

  it('moves the metrics with a job: rounds, their latency, accepted updates, tasks, requests', async () => {
    const before = (await get(`${aggregatorHealth}/metrics`)).text;
    expect(total(before, 'cohort_silo_sessions')).toBe(HOSPITALS.length);
    const completedBefore = total(before, 'cohort_rounds_total', { outcome: 'completed' });
    const acceptedBefore = total(before, 'cohort_updates_total', { result: 'accepted' });

    const spec = JSON.parse(await readFile(join(EXAMPLES_DIR, 'job.json'), 'utf8'));
    const job = await runJob(f, { ...spec, rounds: ROUNDS, minSilos: HOSPITALS.length });
    expect(job.status).toBe('completed');

    const aggregator = await get(`${aggregatorHealth}/metrics`);
    expect(aggregator.type).toMatch(/^text\/plain; version=0\.0\.4/);
    const after = aggregator.text;
    expect(total(after, 'cohort_rounds_total', { outcome: 'completed' })).toBe(completedBefore + ROUNDS);
    expect(total(after, 'cohort_rounds_total', { outcome: 'failed' })).toBe(0);
    expect(total(after, 'cohort_updates_total', { result: 'accepted' })).toBe(
      acceptedBefore + ROUNDS * HOSPITALS.length,
    );
    expect(total(after, 'cohort_round_duration_seconds_count', { outcome: 'completed' })).toBe(ROUNDS);
    expect(total(after, 'cohort_round_duration_seconds_sum', { outcome: 'completed' })).toBeGreaterThan(0);
    expect(total(after, 'cohort_active_jobs')).toBe(0);
    expect(total(after, 'cohort_process_resident_memory_bytes', { service: 'aggregator' })).toBeGreaterThan(
      0,
    );

    for (const h of HOSPITALS) {
      const silo = (await get(`${siloHealth[h]}/metrics`)).text;
      expect(total(silo, 'cohort_silo_session_up')).toBe(1);
      expect(total(silo, 'cohort_silo_tasks_total', { kind: 'offer' })).toBe(1);
      expect(total(silo, 'cohort_silo_tasks_total', { kind: 'train' })).toBe(ROUNDS);
    }

    const gateway = (await get(`${f.gatewayUrl}/metrics`)).text;
    expect(
      total(gateway, 'cohort_gateway_http_requests_total', {
        method: 'POST',
        route: '/v1/jobs',
        status: '201',
      }),
    ).toBe(1);
    // runJob polls the job until it ends: every poll is one sample under the route's pattern, none under its id.
    expect(
      total(gateway, 'cohort_gateway_http_requests_total', {
        method: 'GET',
        route: '/v1/jobs/:id',
        status: '200',
      }),
    ).toBeGreaterThanOrEqual(1);
    expect(gateway).not.toContain(String(job.jobId));
  }, 180_000);

  it('carries a request id from the answer into the gateway log line', async () => {
    const res = await fetch(`${f.gatewayUrl}/v1/me`, {
      headers: { authorization: `Bearer ${f.adminToken}`, 'x-request-id': 'e2e-trace-42' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe('e2e-trace-42');
    const line = await waitFor('the request log line', async () => {
      const log = await readFile(join(f.home, 'gateway.log'), 'utf8');
      return log
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .find((l) => l.requestId === 'e2e-trace-42');
    });
    expect(line).toMatchObject({ msg: 'request', route: '/v1/me', status: 200, service: 'gateway' });
    expect(typeof line.time).toBe('number');
  });

  it('is unready, not dead, while the aggregator is away', async () => {
    const aggregator = f.services.find((s) => s.name === 'aggregator')!;
    expect(await aggregator.stop()).toBe(0);
    const gateway = await get(`${f.gatewayUrl}/health/ready`);
    expect(gateway.status).toBe(503);
    expect(JSON.parse(gateway.text)).toMatchObject({
      status: 'error',
      error: { aggregator: { status: 'down' } },
    });
    expect((await get(`${f.gatewayUrl}/health/live`)).status).toBe(200);
    for (const h of HOSPITALS) {
      const silo = await waitFor(`${h} unready`, async () => {
        const r = await get(`${siloHealth[h]}/health/ready`);
        return r.status === 503 ? JSON.parse(r.text) : undefined;
      });
      expect(silo).toMatchObject({ error: { aggregatorSession: { status: 'down' } } });
      expect((await get(`${siloHealth[h]}/health/live`)).status).toBe(200);
      expect(total((await get(`${siloHealth[h]}/metrics`)).text, 'cohort_silo_session_up')).toBe(0);
    }
    // The probe ports close with their service.
    await expect(fetch(`${aggregatorHealth}/health/live`)).rejects.toThrow();
  }, 60_000);
});

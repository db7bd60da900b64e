import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DEFAULT_DEV_ISSUER_URL, DevIssuer } from '@cohort/auth';
import type { FederationFiles } from '../federation-init.js';
import { COHORT_BIN, freePort, startService, type ServiceProcess } from '../demo/processes.js';
import { EXAMPLES_DIR } from '../demo/run-demo.js';
import { writeDemoSiloConfig } from '../demo/silo-configs.js';

export interface GatewayLoadOptions {
  /** Length of the measured phase. */
  durationMs: number;
  /** Job submissions per second, started on a fixed schedule whether or not earlier ones have answered. */
  submissionsPerSecond: number;
  /** Server-Sent Events streams held open for the whole measured phase, each following one job. */
  watchers: number;
  /**
   * Researchers the load is spread over. The gateway limits each person to 600 requests a minute; the load is
   * many people, as it would be in production, not one exempted script.
   */
  researchers: number;
  /** PostgreSQL for the aggregator; embedded PGlite when absent. */
  databaseUrl?: string;
  /** Where the federation's files and logs go (deleted afterwards unless keepHome). */
  home?: string;
  keepHome?: boolean;
  /** Progress lines (to standard error in the bench). */
  progress?: (line: string) => void;
}

export interface LatencySummary {
  count: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface GatewayLoadReport {
  durationMs: number;
  submissions: {
    target: number;
    attempted: number;
    accepted: number;
    /** Status (or network error code) → count, for everything but 201. */
    errors: Record<string, number>;
    /** Accepted submissions per second of the measured phase. */
    /** Submissions sent per second: on schedule, answered or not. */
    perSecondOffered: number;
    /** Accepted per second, from the first request sent to the last answer received. */
    perSecondAchieved: number;
    latency: LatencySummary;
  };
  watchers: {
    target: number;
    /** Streams open when the measured phase began. */
    connected: number;
    /** Streams still open when it ended (none may drop). */
    heldToEnd: number;
    /** Streams that ended with the job's cancellation event, as a watcher should. */
    sawCancellation: number;
    /** Streams that received at least one event. */
    receivedEvents: number;
    eventsDelivered: number;
    eventsByType: Record<string, number>;
    errors: Record<string, number>;
    connectLatency: LatencySummary;
  };
  gateway: {
    rssBytesPeak: number;
    rssBytesEnd: number;
    eventStreamsGaugeAtPeak: number;
    /** CPU seconds spent during the measured phase, and per accepted submission in milliseconds. */
    cpuSeconds: number;
    cpuMsPerSubmission: number;
  };
  aggregator: { rssBytesEnd: number; cpuSeconds: number; cpuMsPerSubmission: number };
  home?: string;
}

const SILO = 'cleveland';
const run = promisify(execFile);

function summarise(values: number[]): LatencySummary {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number): number =>
    sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  const r = (x: number): number => Math.round(x * 10) / 10;
  return {
    count: sorted.length,
    p50Ms: r(at(0.5)),
    p90Ms: r(at(0.9)),
    p99Ms: r(at(0.99)),
    maxMs: r(sorted.at(-1) ?? 0),
  };
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

function count(map: Record<string, number>, key: string): void {
  map[key] = (map[key] ?? 0) + 1;
}

/** One sample of a gauge from a Prometheus text scrape. */
function gauge(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : Number.NaN;
}

/** A job watcher as the dashboard is one: an SSE stream read as it arrives, events counted by type. */
class Watcher {
  readonly events: Record<string, number> = {};
  total = 0;
  ended = false;
  sawCancellation = false;
  error: string | undefined;
  private readonly abort = new AbortController();
  private done: Promise<void> = Promise.resolve();

  constructor(
    private readonly url: string,
    private readonly token: string,
  ) {}

  /** Resolves once the stream's first event (the job as it is) has arrived. */
  async open(): Promise<void> {
    const res = await fetch(this.url, {
      headers: { authorization: `Bearer ${this.token}`, accept: 'text/event-stream' },
      signal: this.abort.signal,
    });
    if (res.status !== 200 || !res.body) throw new Error(`HTTP ${res.status}`);
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let first: (() => void) | undefined;
    const firstEvent = new Promise<void>((resolve) => (first = resolve));
    this.done = (async () => {
      let buffer = '';
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let cut: number;
          while ((cut = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, cut);
            buffer = buffer.slice(cut + 2);
            const type = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
            const data = /^data: (.*)$/m.exec(block)?.[1];
            this.total++;
            count(this.events, type);
            if (
              type === 'status' &&
              data &&
              (JSON.parse(data) as { message?: string }).message === 'cancelled'
            ) {
              this.sawCancellation = true;
            }
            first?.();
          }
        }
      } catch (err) {
        if (!this.abort.signal.aborted) this.error = (err as Error).message;
      } finally {
        this.ended = true;
        first?.();
      }
    })();
    await firstEvent;
    if (this.total === 0) throw new Error(this.error ?? 'the stream ended before its first event');
  }

  /** Waits for the stream to end by itself (the job ended) for up to `ms`, then cuts it. */
  async close(ms: number): Promise<void> {
    const timer = setTimeout(() => this.abort.abort(), ms);
    await this.done;
    clearTimeout(timer);
  }
}

/**
 * A bounded load on a real gateway on loopback: an aggregator, the gateway and one silo agent as processes.
 * The silo's policy asks a person to approve each job, so submitted jobs wait for that decision (as they would at
 * a hospital) and the load measures the gateway and the aggregator's job intake, not training. First `watchers`
 * jobs are submitted and followed over SSE; then, while every stream stays open, jobs are submitted at
 * `submissionsPerSecond` for `durationMs`; finally the followed jobs are cancelled and each stream must deliver
 * that and end.
 */
export async function runGatewayLoad(o: GatewayLoadOptions): Promise<GatewayLoadReport> {
  const say = o.progress ?? ((): void => undefined);
  const home = o.home ?? (await mkdtemp(join(tmpdir(), 'cohort-gateway-load-')));
  const services: ServiceProcess[] = [];
  let failed = true;
  try {
    // As an operator would, by the command: it measures the code the services run (the build), which is not the
    // code a test imports (its sources).
    const init = await run(
      process.execPath,
      [COHORT_BIN, 'init', '--dir', join(home, 'federation'), '--json'],
      {
        timeout: 120_000,
      },
    );
    const federation = JSON.parse(init.stdout.trim().split('\n').pop() ?? '{}') as FederationFiles;
    const [aggregatorPort, gatewayPort] = [await freePort(), await freePort()];
    const aggregatorUrl = `127.0.0.1:${aggregatorPort}`;
    const aggregatorArgs = [
      'aggregator',
      'start',
      '--port',
      String(aggregatorPort),
      '--federation',
      federation.dir,
    ];
    aggregatorArgs.push(
      ...(o.databaseUrl ? ['--database-url', o.databaseUrl] : ['--data-dir', join(home, 'pgdata')]),
    );
    say(`starting the aggregator (${o.databaseUrl ? 'PostgreSQL' : 'PGlite'}) and the gateway`);
    services.push(
      await startService('aggregator', [...aggregatorArgs, '--health-port', '0'], {
        logFile: join(home, 'aggregator.log'),
        timeoutMs: 180_000,
      }),
    );
    const aggregatorHealth = String(services[0].ready.health);
    services.push(
      await startService(
        'gateway',
        [
          'gateway',
          'start',
          '--port',
          String(gatewayPort),
          '--aggregator',
          aggregatorUrl,
          '--federation',
          federation.dir,
        ],
        { logFile: join(home, 'gateway.log') },
      ),
    );
    const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
    const issuer = await DevIssuer.create({
      issuer: DEFAULT_DEV_ISSUER_URL,
      keyDir: federation.devIssuerDir,
    });
    const mint = (subject: string, roles: string[]): Promise<string> =>
      issuer.mint({ subject, roles, audience: 'cohort-gateway' });
    const admin = await mint('load-admin', ['site-admin']);
    const researchers = await Promise.all(
      Array.from({ length: o.researchers }, (_, i) => mint(`load-researcher-${i}`, ['researcher'])),
    );

    // One hospital whose policy waits for a person's approval: jobs stay pending, nothing trains.
    const configPath = await writeDemoSiloConfig(EXAMPLES_DIR, SILO, federation, home);
    const config = JSON.parse(await readFile(configPath, 'utf8')) as { policy?: Record<string, unknown> };
    await writeFile(
      configPath,
      JSON.stringify({ ...config, policy: { ...config.policy, approval: 'manual' } }),
    );
    const invite = await fetch(`${gatewayUrl}/v1/silos/invitations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: SILO }),
    });
    if (invite.status !== 201)
      throw new Error(`inviting ${SILO} failed: HTTP ${invite.status} ${await invite.text()}`);
    const { joinToken } = (await invite.json()) as { joinToken: string };
    services.push(
      await startService(
        `silo ${SILO}`,
        ['silo', 'start', '--config', configPath, '--aggregator', aggregatorUrl, '--join-token', joinToken],
        { logFile: join(home, `silo-${SILO}.log`) },
      ),
    );
    for (let connected = false; !connected;) {
      const r = await fetch(`${gatewayUrl}/v1/silos`, { headers: { authorization: `Bearer ${admin}` } });
      const body = (await r.json()) as { silos?: { connected: boolean }[] };
      connected = (body.silos ?? []).some((s) => s.connected);
      if (!connected) await new Promise((r2) => setTimeout(r2, 200));
    }

    const example = JSON.parse(await readFile(join(EXAMPLES_DIR, 'job.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    // Pending for the whole run: the offer outlives it, so no job fails on its own while measured.
    const spec = { ...example, rounds: 1, minSilos: 1, offerTimeoutMs: o.durationMs + 600_000 };
    const submit = async (
      name: string,
      owner: number,
    ): Promise<{ ms: number; status: string; jobId?: string; owner: number }> => {
      const started = performance.now();
      try {
        const res = await fetch(`${gatewayUrl}/v1/jobs`, {
          method: 'POST',
          headers: { authorization: `Bearer ${researchers[owner]}`, 'content-type': 'application/json' },
          body: JSON.stringify({ ...spec, name }),
        });
        const body = (await res.json()) as { jobId?: string };
        return { ms: performance.now() - started, status: String(res.status), jobId: body.jobId, owner };
      } catch (err) {
        const code = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
        return { ms: performance.now() - started, status: code, owner };
      }
    };

    say(`opening ${o.watchers} watchers`);
    const watched: { jobId: string; owner: number }[] = [];
    // Set up ten at a time: not measured, only needs to be done before the measured phase.
    for (let i = 0; i < o.watchers; i += 10) {
      const batch = Array.from({ length: Math.min(10, o.watchers - i) }, (_, k) =>
        submit(`watched-${i + k}`, (i + k) % researchers.length),
      );
      for (const r of await Promise.all(batch)) {
        if (r.status !== '201' || !r.jobId)
          throw new Error(`a watched job could not be submitted: ${r.status}`);
        watched.push({ jobId: r.jobId, owner: r.owner });
      }
    }
    const watchers = watched.map(
      (w) => new Watcher(`${gatewayUrl}/v1/jobs/${w.jobId}/events`, researchers[w.owner]),
    );
    const watcherErrors: Record<string, number> = {};
    const connectMs: number[] = [];
    await Promise.all(
      watchers.map(async (w) => {
        const started = performance.now();
        try {
          await w.open();
          connectMs.push(performance.now() - started);
        } catch (err) {
          count(watcherErrors, `connect: ${(err as Error).message}`);
        }
      }),
    );
    const connected = watchers.filter((w) => !w.ended && w.total > 0).length;

    let rssPeak = 0;
    let streamsAtPeak = 0;
    const sampleGateway = async (): Promise<void> => {
      const text = await (await fetch(`${gatewayUrl}/metrics`)).text();
      const rss = gauge(text, 'cohort_process_resident_memory_bytes');
      if (rss > rssPeak) rssPeak = rss;
      streamsAtPeak = Math.max(streamsAtPeak, gauge(text, 'cohort_gateway_event_streams'));
    };
    const sampler = setInterval(() => void sampleGateway().catch(() => undefined), 1000);

    say(
      `submitting ${o.submissionsPerSecond} jobs/s for ${o.durationMs / 1000} s with ${connected} watchers open`,
    );
    const target = Math.round((o.submissionsPerSecond * o.durationMs) / 1000);
    const intervalMs = 1000 / o.submissionsPerSecond;
    // CPU time each process spent in the measured phase: a figure that holds on a machine shared with other work,
    // where latencies mostly measure the queue for a core.
    const cpuSeconds = async (url: string): Promise<number> =>
      gauge(await (await fetch(`${url}/metrics`)).text(), 'cohort_process_cpu_seconds_total');
    const cpuBefore = {
      gateway: await cpuSeconds(gatewayUrl),
      aggregator: await cpuSeconds(aggregatorHealth),
    };
    const t0 = performance.now();
    const pending: Promise<{ ms: number; status: string }>[] = [];
    for (let i = 0; i < target; i++) {
      const due = t0 + i * intervalMs;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      pending.push(submit(`load-${i}`, i % researchers.length));
    }
    // Open loop: had the generator fallen behind its schedule, the rate offered would be less than asked.
    const sendWindowMs = performance.now() - t0;
    const results = await Promise.all(pending);
    const elapsedMs = performance.now() - t0;
    const cpu = {
      gateway: (await cpuSeconds(gatewayUrl)) - cpuBefore.gateway,
      aggregator: (await cpuSeconds(aggregatorHealth)) - cpuBefore.aggregator,
    };
    await sampleGateway();
    clearInterval(sampler);
    const heldToEnd = watchers.filter((w) => !w.ended).length;

    say('cancelling the watched jobs');
    await Promise.all(
      watched.map(async (w) => {
        const res = await fetch(`${gatewayUrl}/v1/jobs/${w.jobId}/cancel`, {
          method: 'POST',
          headers: { authorization: `Bearer ${researchers[w.owner]}` },
        });
        if (res.status !== 200) count(watcherErrors, `cancel: HTTP ${res.status}`);
      }),
    );
    await Promise.all(watchers.map((w) => w.close(10_000)));
    for (const w of watchers) if (w.error) count(watcherErrors, `stream: ${w.error}`);

    const accepted = results.filter((r) => r.status === '201');
    const errors: Record<string, number> = {};
    for (const r of results) if (r.status !== '201') count(errors, r.status);
    const eventsByType: Record<string, number> = {};
    for (const w of watchers)
      for (const [k, v] of Object.entries(w.events)) eventsByType[k] = (eventsByType[k] ?? 0) + v;
    const gatewayEnd = await (await fetch(`${gatewayUrl}/metrics`)).text();
    const aggregatorEnd = await (await fetch(`${aggregatorHealth}/metrics`)).text();
    const report: GatewayLoadReport = {
      durationMs: Math.round(elapsedMs),
      submissions: {
        target,
        attempted: results.length,
        accepted: accepted.length,
        errors,
        perSecondOffered: Math.round((results.length / (sendWindowMs / 1000)) * 10) / 10,
        perSecondAchieved: Math.round((accepted.length / (elapsedMs / 1000)) * 10) / 10,
        latency: summarise(results.map((r) => r.ms)),
      },
      watchers: {
        target: o.watchers,
        connected,
        heldToEnd,
        sawCancellation: watchers.filter((w) => w.sawCancellation).length,
        receivedEvents: watchers.filter((w) => w.total > 0).length,
        eventsDelivered: watchers.reduce((n, w) => n + w.total, 0),
        eventsByType,
        errors: watcherErrors,
        connectLatency: summarise(connectMs),
      },
      gateway: {
        rssBytesPeak: rssPeak,
        rssBytesEnd: gauge(gatewayEnd, 'cohort_process_resident_memory_bytes'),
        eventStreamsGaugeAtPeak: streamsAtPeak,
        cpuSeconds: round2(cpu.gateway),
        cpuMsPerSubmission: round2((cpu.gateway * 1000) / Math.max(1, accepted.length)),
      },
      aggregator: {
        rssBytesEnd: gauge(aggregatorEnd, 'cohort_process_resident_memory_bytes'),
        cpuSeconds: round2(cpu.aggregator),
        cpuMsPerSubmission: round2((cpu.aggregator * 1000) / Math.max(1, accepted.length)),
      },
      ...(o.keepHome ? { home } : {}),
    };
    failed = false;
    return report;
  } finally {
    const codes = await Promise.all([...services].reverse().map((s) => s.stop()));
    if (codes.some((c) => c !== 0)) say(`a service exited with ${codes.join(', ')}; logs in ${home}`);
    // A failed run keeps its logs for whoever has to find out why.
    if (failed) say(`the load run failed; logs in ${home}`);
    else if (!o.keepHome) await rm(home, { recursive: true, force: true });
  }
}

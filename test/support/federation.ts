import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { readEnvironment } from '@cohort/config';
import { freePort, startService, type ServiceProcess } from '../../services/cli/src/demo/processes.js';
import { EXAMPLES_DIR } from '../../services/cli/src/demo/run-demo.js';

export { EXAMPLES_DIR };

export interface Federation {
  home: string;
  aggregatorUrl: string;
  gatewayUrl: string;
  database: string;
  services: ServiceProcess[];
  startSilo(name: string, configPath: string): Promise<ServiceProcess>;
  stop(): Promise<void>;
}

/** A fresh PostgreSQL database on the test server, dropped on close; undefined when no server is configured. */
export async function freshPostgresDatabase(): Promise<{ url: string; drop(): Promise<void> } | undefined> {
  const base = readEnvironment().testDatabaseUrl;
  if (!base) return undefined;
  const name = `cohort_e2e_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** Starts the aggregator and the gateway as real processes on loopback. */
export async function startFederation(opts: { databaseUrl?: string } = {}): Promise<Federation> {
  const home = await mkdtemp(join(tmpdir(), 'cohort-e2e-'));
  const services: ServiceProcess[] = [];
  const [aggPort, gwPort] = [await freePort(), await freePort()];
  const aggregatorUrl = `127.0.0.1:${aggPort}`;
  const aggregatorArgs = [
    'aggregator',
    'start',
    '--port',
    String(aggPort),
    '--data-dir',
    join(home, 'pgdata'),
  ];
  if (opts.databaseUrl) aggregatorArgs.push('--database-url', opts.databaseUrl);
  const aggregator = await startService('aggregator', aggregatorArgs, {
    logFile: join(home, 'aggregator.log'),
    timeoutMs: 180_000,
  });
  services.push(aggregator);
  services.push(
    await startService(
      'gateway',
      ['gateway', 'start', '--port', String(gwPort), '--aggregator', aggregatorUrl],
      {
        logFile: join(home, 'gateway.log'),
      },
    ),
  );
  return {
    home,
    aggregatorUrl,
    gatewayUrl: `http://127.0.0.1:${gwPort}`,
    database: String(aggregator.ready.database),
    services,
    async startSilo(name, configPath) {
      const s = await startService(
        `silo ${name}`,
        ['silo', 'start', '--config', configPath, '--aggregator', aggregatorUrl],
        {
          logFile: join(home, `silo-${name}.log`),
        },
      );
      services.push(s);
      return s;
    },
    async stop() {
      const codes = await Promise.all([...services].reverse().map((s) => s.stop()));
      if (codes.some((c) => c !== 0))
        throw new Error(`a service exited uncleanly (${codes.join(', ')}); logs in ${home}`);
      await rm(home, { recursive: true, force: true });
    },
  };
}

export async function http<T = any>(
  method: string,
  url: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const res = await fetch(url, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function writeJson(path: string, value: unknown): Promise<string> {
  await writeFile(path, JSON.stringify(value, null, 2));
  return path;
}

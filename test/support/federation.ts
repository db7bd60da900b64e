import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import pg from 'pg';
import { readEnvironment } from '@cohort/config';
import {
  COHORT_BIN,
  freePort,
  startService,
  type ServiceProcess,
} from '../../services/cli/src/demo/processes.js';
import { EXAMPLES_DIR } from '../../services/cli/src/demo/run-demo.js';
import { writeDemoSiloConfig } from '../../services/cli/src/demo/silo-configs.js';
import type { FederationFiles } from '../../services/cli/src/federation-init.js';
import { DEFAULT_DEV_ISSUER_URL, DevIssuer } from '@cohort/auth';

export { EXAMPLES_DIR };

const run = promisify(execFile);

export interface Federation {
  home: string;
  files: FederationFiles;
  aggregatorUrl: string;
  gatewayUrl: string;
  database: string;
  /** The aggregator's ready line (its enclave measurement among others). */
  aggregatorReady: Record<string, unknown>;
  /** An admin's bearer token for the gateway (http() sends it by default). */
  adminToken: string;
  /** A token from the federation's development issuer for any subject and roles. */
  tokenFor(subject: string, roles: string[]): Promise<string>;
  services: ServiceProcess[];
  /** Invites the silo through the gateway and starts it with its join token (it enrols on first start). */
  startSilo(name: string, configPath: string, extraArgs?: string[]): Promise<ServiceProcess>;
  /** A heart-disease hospital's example configuration, pointed at this federation. */
  hospitalConfig(hospital: string): Promise<string>;
  invite(name: string): Promise<string>;
  /**
   * Stops every service and deletes `home`, unless keepHome: then the aggregator's folders (pgdata, audit-key)
   * stay for the test to inspect after the processes released them, and the test deletes home itself.
   */
  stop(options?: { keepHome?: boolean }): Promise<void>;
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

/**
 * Starts the aggregator and the gateway as real processes on loopback. `aggregatorBin` runs the aggregator from
 * another checkout's bin/cohort.js, with this federation's files (made by this checkout's `cohort init`).
 */
export async function startFederation(
  opts: { databaseUrl?: string; aggregatorBin?: string; aggregatorArgs?: string[] } = {},
): Promise<Federation> {
  const home = await mkdtemp(join(tmpdir(), 'cohort-e2e-'));
  // As an operator would: the CLI measures the code the services will run (the build), not the test's sources.
  const init = await run(
    process.execPath,
    [COHORT_BIN, 'init', '--dir', join(home, 'federation'), '--json'],
    {
      timeout: 120_000,
    },
  );
  const files = JSON.parse(init.stdout.trim().split('\n').pop() ?? '{}') as FederationFiles;
  // Signed in as an admin through the federation's development issuer (the key `cohort init` made).
  const issuer = await DevIssuer.create({
    issuer: DEFAULT_DEV_ISSUER_URL,
    keyDir: join(files.dir, 'dev-issuer'),
  });
  const tokenFor = (subject: string, roles: string[]): Promise<string> =>
    issuer.mint({ subject, roles, audience: 'cohort-gateway' });
  const adminToken = await tokenFor('e2e-admin', ['admin']);
  defaultToken = adminToken;
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
    '--federation',
    files.dir,
  ];
  if (opts.databaseUrl) aggregatorArgs.push('--database-url', opts.databaseUrl);
  aggregatorArgs.push(...(opts.aggregatorArgs ?? []));
  const aggregator = await startService('aggregator', aggregatorArgs, {
    logFile: join(home, 'aggregator.log'),
    timeoutMs: 180_000,
    bin: opts.aggregatorBin,
  });
  services.push(aggregator);
  services.push(
    await startService(
      'gateway',
      [
        'gateway',
        'start',
        '--port',
        String(gwPort),
        '--aggregator',
        aggregatorUrl,
        '--federation',
        files.dir,
      ],
      {
        logFile: join(home, 'gateway.log'),
      },
    ),
  );
  const gatewayUrl = `http://127.0.0.1:${gwPort}`;
  const invite = async (name: string): Promise<string> => {
    const r = await http('POST', `${gatewayUrl}/v1/silos/invitations`, { name });
    if (r.status !== 201) throw new Error(`inviting ${name} failed: ${JSON.stringify(r.body)}`);
    return r.body.joinToken as string;
  };
  return {
    home,
    files,
    aggregatorUrl,
    adminToken,
    tokenFor,
    invite,
    hospitalConfig: (hospital) => writeDemoSiloConfig(EXAMPLES_DIR, hospital, files, home),
    gatewayUrl,
    database: String(aggregator.ready.database),
    aggregatorReady: aggregator.ready,
    services,
    async startSilo(name, configPath, extraArgs = []) {
      const token = await invite(name);
      const args = [
        'silo',
        'start',
        '--config',
        configPath,
        '--aggregator',
        aggregatorUrl,
        '--join-token',
        token,
        ...extraArgs,
      ];
      const s = await startService(`silo ${name}`, args, { logFile: join(home, `silo-${name}.log`) });
      services.push(s);
      return s;
    },
    async stop(options = {}) {
      const codes = await Promise.all([...services].reverse().map((s) => s.stop()));
      if (codes.some((c) => c !== 0))
        throw new Error(`a service exited uncleanly (${codes.join(', ')}); logs in ${home}`);
      if (!options.keepHome) await rm(home, { recursive: true, force: true });
    },
  };
}

/** The bearer token http() sends unless told otherwise: the admin token of the last federation started. */
let defaultToken: string | undefined;

export async function http<T = any>(
  method: string,
  url: string,
  body?: unknown,
  options: { token?: string | null } = {},
): Promise<{ status: number; body: T }> {
  const token = options.token === undefined ? defaultToken : options.token;
  const res = await fetch(url, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
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

/** Waits until at least `n` silos hold an open session with the aggregator. */
export async function waitForConnected(f: Federation, n: number): Promise<void> {
  await waitFor(`${n} connected silos`, async () => {
    const r = await http<{ silos: { connected: boolean }[] }>('GET', `${f.gatewayUrl}/v1/silos`);
    return r.body.silos.filter((s) => s.connected).length >= n ? true : undefined;
  });
}

/** Submits a job through the gateway (201 expected) and waits for it to end; returns the final job view. */
export async function runJob(f: Federation, spec: unknown): Promise<any> {
  const submitted = await http('POST', `${f.gatewayUrl}/v1/jobs`, spec);
  if (submitted.status !== 201) throw new Error(`submitting failed: ${JSON.stringify(submitted.body)}`);
  return waitFor(
    'the job to end',
    async () => {
      const r = await http('GET', `${f.gatewayUrl}/v1/jobs/${submitted.body.jobId}`);
      return ['completed', 'failed', 'cancelled'].includes(r.body.status) ? r.body : undefined;
    },
    120_000,
  );
}

// Fault-test support: more aggregator replicas on one federation's database, a front door that sends each new
// connection to the first live replica (what a Kubernetes Service does for the silos), silos that dial it, and a
// throwaway PostgreSQL cluster a test may stop and start.
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import {
  COHORT_BIN,
  freePort,
  startService,
  type ServiceProcess,
} from '../../services/cli/src/demo/processes.js';
import type { Federation } from './federation.js';

const run = promisify(execFile);

/** `cohort aggregator start` for this federation on `port`, sharing its database and its audit key. */
export async function startReplica(
  f: Federation,
  opts: { port: number; databaseUrl: string; replicaId: string; leaseMs: number; logName: string },
): Promise<ServiceProcess> {
  const s = await startService(
    `aggregator ${opts.replicaId}`,
    [
      'aggregator',
      'start',
      '--port',
      String(opts.port),
      '--data-dir',
      join(f.home, `pgdata-${opts.replicaId}`),
      '--audit-key-dir',
      join(f.home, 'audit-key'),
      '--federation',
      f.files.dir,
      '--database-url',
      opts.databaseUrl,
      '--replica-id',
      opts.replicaId,
      '--lease-ms',
      String(opts.leaseMs),
    ],
    { logFile: join(f.home, `${opts.logName}.log`), timeoutMs: 180_000 },
  );
  f.services.push(s);
  return s;
}

/** SIGKILL, as a crash or an OOM kill would: no shutdown hook runs. The process leaves the federation's list. */
export async function kill(f: Federation, s: ServiceProcess): Promise<void> {
  const exited = new Promise((resolve) => s.child.once('exit', resolve));
  if (s.child.exitCode === null && s.child.signalCode === null) {
    s.child.kill('SIGKILL');
    await exited;
  }
  const i = f.services.indexOf(s);
  if (i >= 0) f.services.splice(i, 1);
}

/** Starts an already enrolled silo again (no join token: it has its key and certificate). */
export async function restartSilo(
  f: Federation,
  name: string,
  configPath: string,
  aggregatorUrl: string,
): Promise<ServiceProcess> {
  const s = await startService(
    `silo ${name}`,
    ['silo', 'start', '--config', configPath, '--aggregator', aggregatorUrl],
    { logFile: join(f.home, `silo-${name}.log`) },
  );
  f.services.push(s);
  return s;
}

/** Invites a silo and starts it dialling `aggregatorUrl` (a front door) instead of the first replica. */
export async function startSiloAt(
  f: Federation,
  name: string,
  configPath: string,
  aggregatorUrl: string,
): Promise<ServiceProcess> {
  const token = await f.invite(name);
  const s = await startService(
    `silo ${name}`,
    ['silo', 'start', '--config', configPath, '--aggregator', aggregatorUrl, '--join-token', token],
    { logFile: join(f.home, `silo-${name}.log`) },
  );
  f.services.push(s);
  return s;
}

/**
 * A TCP front door: each connection goes to the first backend that accepts it, bytes relayed both ways. With
 * `spread`, the first one tried rotates, so connections are spread over the live backends as a Service does.
 */
export class FrontDoor {
  private readonly sockets = new Set<Socket>();
  private readonly clients = new Set<Socket>();
  private next = 0;
  spread = false;

  private constructor(
    private readonly server: Server,
    readonly address: string,
    readonly backends: string[],
  ) {}

  static async open(backends: string[]): Promise<FrontDoor> {
    const port = await freePort();
    const server = createServer();
    const door = new FrontDoor(server, `127.0.0.1:${port}`, backends);
    server.on('connection', (client) => door.accept(client));
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    return door;
  }

  private accept(client: Socket): void {
    this.sockets.add(client);
    this.clients.add(client);
    client.on('close', () => {
      this.sockets.delete(client);
      this.clients.delete(client);
    });
    client.on('error', () => client.destroy());
    client.pause();
    const start = this.spread ? this.next++ : 0;
    const tryBackend = (i: number): void => {
      if (i >= this.backends.length) {
        client.destroy();
        return;
      }
      const [host, port] = this.backends[(start + i) % this.backends.length].split(':');
      const upstream = connect(Number(port), host);
      upstream.once('error', () => {
        upstream.destroy();
        tryBackend(i + 1);
      });
      upstream.once('connect', () => {
        this.sockets.add(upstream);
        upstream.removeAllListeners('error');
        upstream.on('error', () => client.destroy());
        upstream.on('close', () => {
          this.sockets.delete(upstream);
          client.destroy();
        });
        client.on('close', () => upstream.destroy());
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      });
    };
    tryBackend(0);
  }

  /** Drops every open connection, as a load balancer's restart would: clients reconnect through the door. */
  dropConnections(): void {
    for (const c of this.clients) c.destroy();
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Runs `cohort <args>`; resolves with its exit status and output whatever the status. */
export async function cohort(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [COHORT_BIN, ...args], { timeout: 120_000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/**
 * A PostgreSQL cluster of the test's own (initdb into a temp folder, a free port, trust authentication on
 * loopback), so a test may stop and start it. PostgreSQL refuses to run as root: under root it runs as the
 * `postgres` user through runuser. Undefined, with the reason, when the server binaries are not installed.
 */
export class ThrowawayPostgres {
  private constructor(
    private readonly bin: string,
    private readonly dir: string,
    readonly port: number,
    private readonly asUser: string[],
  ) {}

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  static async create(): Promise<ThrowawayPostgres | string> {
    const root = '/usr/lib/postgresql';
    const versions = existsSync(root)
      ? readdirSync(root)
          .filter((v) => existsSync(join(root, v, 'bin', 'pg_ctl')))
          .sort((a, b) => Number(b) - Number(a))
      : [];
    if (versions.length === 0) return `no PostgreSQL server binaries (pg_ctl, initdb) under ${root}`;
    const bin = join(root, versions[0], 'bin');
    let asUser: string[] = [];
    if (process.getuid?.() === 0) {
      if (spawnSync('id', ['postgres']).status !== 0) return 'running as root and there is no postgres user';
      asUser = ['runuser', '-u', 'postgres', '--'];
    }
    const dir = await mkdtemp(join(tmpdir(), 'cohort-pg-'));
    await chmod(dir, 0o777);
    const pgdata = join(dir, 'data');
    const port = await freePort();
    const cluster = new ThrowawayPostgres(bin, dir, port, asUser);
    await cluster.exec('initdb', ['-D', pgdata, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8']);
    await cluster.start();
    return cluster;
  }

  private async exec(tool: string, args: string[]): Promise<void> {
    const [cmd, ...rest] =
      this.asUser.length > 0 ? [...this.asUser, join(this.bin, tool)] : [join(this.bin, tool)];
    await run(cmd, [...rest, ...args], { timeout: 60_000, cwd: this.dir });
  }

  async start(): Promise<void> {
    await this.exec('pg_ctl', [
      '-D',
      join(this.dir, 'data'),
      '-l',
      join(this.dir, 'server.log'),
      '-w',
      '-o',
      `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off`,
      'start',
    ]);
  }

  /** A fast shutdown: open connections are terminated and in-flight transactions roll back. */
  async stop(): Promise<void> {
    await this.exec('pg_ctl', ['-D', join(this.dir, 'data'), '-w', '-m', 'fast', 'stop']);
  }

  async createDatabase(name: string): Promise<string> {
    const c = new pg.Client({ connectionString: this.url });
    await c.connect();
    await c.query(`CREATE DATABASE ${name}`);
    await c.end();
    return `postgres://postgres@127.0.0.1:${this.port}/${name}`;
  }

  async destroy(): Promise<void> {
    await this.stop().catch(() => undefined);
    await rm(this.dir, { recursive: true, force: true });
  }
}

// The generated front door run by HAProxy itself on loopback, in front of two stand-in replicas whose readiness
// the test switches: what the configuration promises (everyone on the first ready replica, moved on its failure
// and back on its return) is what HAProxy does with it.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AGGREGATOR_HEALTH_PORT, AGGREGATOR_PORT, DOOR_MONITOR_PORT, frontDoorConfig } from './manifests.js';
import { CENTRAL } from './settings.js';

interface Replica {
  ready: boolean;
  accepted: Socket[];
  grpc: Server;
  health: HttpServer;
  grpcPort: number;
  healthPort: number;
}

async function listen(server: Server | HttpServer): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

async function replica(name: string): Promise<Replica> {
  const r = { ready: true, accepted: [] as Socket[] } as Replica;
  const grpc = createServer((socket) => {
    r.accepted.push(socket);
    socket.write(`${name}\n`);
  });
  r.grpc = grpc;
  r.health = createHttpServer((req, res) => {
    res.statusCode = req.url === '/health/ready' && r.ready ? 200 : 503;
    res.end();
  });
  r.grpcPort = await listen(grpc);
  r.healthPort = await listen(r.health);
  return r;
}

async function freePort(): Promise<number> {
  const server = createServer();
  const port = await listen(server);
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Connects through the door; resolves with the replica that answered and a promise of the connection's end. */
async function dial(port: number): Promise<{ replica: string; closed: Promise<void>; socket: Socket }> {
  const socket = createConnection({ host: '127.0.0.1', port });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const replicaName = await new Promise<string>((resolve, reject) => {
    let data = '';
    socket.on('data', (d: Buffer) => {
      data += d.toString();
      if (data.includes('\n')) resolve(data.trim());
    });
    socket.once('close', () => reject(new Error(`the door closed the connection before a replica answered`)));
  });
  return { replica: replicaName, closed, socket };
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function within<T>(what: string, p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

describe("the aggregators' front door under HAProxy", () => {
  const replicas: Replica[] = [];
  let haproxy: ChildProcess | undefined;
  let dir: string;
  const sockets: Socket[] = [];

  afterAll(async () => {
    for (const s of sockets) s.destroy();
    if (haproxy && haproxy.exitCode === null) {
      const exited = new Promise((resolve) => haproxy?.once('exit', resolve));
      haproxy.kill('SIGTERM');
      await exited;
    }
    for (const r of replicas) {
      for (const s of r.accepted) s.destroy();
      r.health.closeAllConnections();
      await new Promise((resolve) => r.grpc.close(resolve));
      await new Promise((resolve) => r.health.close(resolve));
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends everyone to the first ready replica, moves them on its failure and back on its return', async () => {
    replicas.push(await replica('replica-0'), await replica('replica-1'));
    const [doorPort, monitorPort] = [await freePort(), await freePort()];
    // The committed configuration for two replicas, with this machine's addresses in place of the cluster's.
    let config = frontDoorConfig({ ...CENTRAL, aggregatorReplicas: 2 })
      .replace(`bind :${AGGREGATOR_PORT}`, `bind 127.0.0.1:${doorPort}`)
      .replace(`bind :${DOOR_MONITOR_PORT}`, `bind 127.0.0.1:${monitorPort}`);
    replicas.forEach((r, i) => {
      const name = `cohort-aggregator-${i}.cohort-aggregator-pods.${CENTRAL.namespace}.svc.cluster.local:${AGGREGATOR_PORT}`;
      expect(config).toContain(name);
      // One machine, so one health port per replica: the server line's own port overrides default-server's.
      config = config.replace(name, `127.0.0.1:${r.grpcPort} port ${r.healthPort}`);
    });
    expect(config).toContain(`check port ${AGGREGATOR_HEALTH_PORT}`);
    dir = mkdtempSync(join(tmpdir(), 'cohort-door-'));
    writeFileSync(join(dir, 'haproxy.cfg'), config);
    haproxy = spawn('haproxy', ['-db', '-f', join(dir, 'haproxy.cfg')], { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    haproxy.stderr?.on('data', (d: Buffer) => (log += d.toString()));
    const monitor = async (): Promise<number> =>
      fetch(`http://127.0.0.1:${monitorPort}/ready`).then(
        (r) => r.status,
        () => 0,
      );
    await until(`the door's monitor (${log})`, async () => (await monitor()) === 200);

    const first = await dial(doorPort);
    sockets.push(first.socket);
    expect(first.replica).toBe('replica-0');
    const second = await dial(doorPort);
    sockets.push(second.socket);
    expect(second.replica).toBe('replica-0');

    // The first replica fails its readiness: its connections are cut, new ones go to the backup.
    replicas[0].ready = false;
    await within('connections on the failed replica cut', Promise.all([first.closed, second.closed]), 15_000);
    const moved = await dial(doorPort);
    sockets.push(moved.socket);
    expect(moved.replica).toBe('replica-1');

    // It is back: the backup's connections are cut, and everyone returns to it.
    replicas[0].ready = true;
    await within("the backup's connections cut", moved.closed, 15_000);
    const back = await dial(doorPort);
    sockets.push(back.socket);
    expect(back.replica).toBe('replica-0');

    // No ready replica: the door says it is not ready either.
    replicas[0].ready = false;
    replicas[1].ready = false;
    await until('the door unready', async () => (await monitor()) === 503);
  }, 60_000);
});

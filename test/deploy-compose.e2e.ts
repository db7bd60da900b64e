// deploy/compose.yaml's own commands, health checks and invitation script, run as processes on loopback: there is
// no container engine here, so the image's file layout is laid out in a temporary folder (what the Dockerfile
// copies) and each container path is mapped into it. What this proves is that the stack's commands, in their
// order, start a federation whose four silos enrol through their join-token files and connect.
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import {
  COHORT_BIN,
  freePort,
  startService,
  type ServiceProcess,
} from '../services/cli/src/demo/processes.js';
import { runtimeCopies } from '../deploy/testing/dockerfile.js';
import { REPO_ROOT } from './support/checkout-copy.js';
import { freshPostgresDatabase, waitFor } from './support/federation.js';

const run = promisify(execFile);

interface ComposeService {
  command?: string[];
  environment?: Record<string, string>;
  healthcheck?: { test: string[] };
}

const compose = parse(await readFile(join(REPO_ROOT, 'deploy/compose.yaml'), 'utf8'), { merge: true }) as {
  services: Record<string, ComposeService>;
};
const SILOS = ['cleveland', 'hungarian', 'switzerland', 'va'];

const until = (what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<true> =>
  waitFor(what, async () => ((await check()) ? true : undefined), timeoutMs);

describe('deploy/compose.yaml, its commands run on loopback', () => {
  let dir: string;
  let app: string;
  const services: ServiceProcess[] = [];
  let dropDatabase: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cohort-compose-'));
    app = join(dir, 'app');
    // The image's /app: what the runtime stage copies from the repository that the silos read (config, data).
    for (const c of runtimeCopies(REPO_ROOT).filter((c) => /^(examples|data)\//.test(c.source))) {
      await cp(join(REPO_ROOT, c.source), join(app, c.dest), { recursive: true });
    }
    await mkdir(join(dir, 'join-tokens'));
  });

  afterAll(async () => {
    for (const s of services.reverse()) await s.stop();
    await dropDatabase?.();
    await rm(dir, { recursive: true, force: true });
  });

  it('starts the stack in order; the silos enrol with their token files and connect', async () => {
    const [aggPort, healthPort, gwPort] = [await freePort(), await freePort(), await freePort()];
    // Four silos share this machine's loopback, where each container has its own: one health port each.
    const siloHealth = new Map<string, number>();
    for (const silo of SILOS) siloHealth.set(`silo-${silo}`, await freePort());
    const homeOf = (service: string): string => join(dir, 'home', service);
    /** A container path or address as this machine has it, for one service. */
    const local = (service: string, value: string): string =>
      value
        .replace(/^\/app(?=\/|$)/, app)
        .replace(/^\/join-tokens(?=\/|$)/, join(dir, 'join-tokens'))
        .replace(/^\/var\/lib\/cohort(?=\/|$)/, homeOf(service))
        .replace(/^aggregator:50051$/, `127.0.0.1:${aggPort}`);
    const argsOf = (service: string, ports: Record<string, number> = {}): string[] => {
      const args = (compose.services[service].command ?? []).map((a) => local(service, a));
      return args.map((a, i) => {
        const flag = args[i - 1];
        // A listener's address (not init's certificate names): loopback here.
        if (flag === '--host' && service !== 'init') return '127.0.0.1';
        if (flag !== undefined && ports[flag] !== undefined) return String(ports[flag]);
        if (flag === '--config') return posix.resolve(app, a);
        return a;
      });
    };
    const envOf = (service: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv => {
      const env: NodeJS.ProcessEnv = { ...process.env, COHORT_HOME: homeOf(service), ...extra };
      delete env.DATABASE_URL;
      delete env.COHORT_AGGREGATOR_URL;
      return env;
    };
    /** The service's compose health check, with its container paths and ports mapped. */
    const healthy = async (service: string): Promise<boolean> => {
      const [kind, node, flag, script] = compose.services[service].healthcheck?.test ?? [];
      expect([kind, node, flag]).toEqual(['CMD', 'node', '-e']);
      const mapped = script
        .replace('127.0.0.1:9464', `127.0.0.1:${healthPort}`)
        .replace('127.0.0.1:8080', `127.0.0.1:${gwPort}`)
        .replace('127.0.0.1:9465', `127.0.0.1:${siloHealth.get(service) ?? 0}`)
        .replace(/\/var\/lib\/cohort\//g, `${homeOf(service)}/`);
      return run(process.execPath, ['-e', mapped], { timeout: 10_000 }).then(
        () => true,
        () => false,
      );
    };

    // init: the federation's files, as the aggregator's certificate names it ("aggregator").
    await run(process.execPath, [COHORT_BIN, ...argsOf('init')], { env: envOf('init'), timeout: 180_000 });
    const federation = join(app, '.cohort/federation');
    await expect(readFile(join(federation, 'trust.json'), 'utf8')).resolves.toContain('measurements');

    const database = await freshPostgresDatabase();
    dropDatabase = database?.drop;
    const aggregatorEnv: Record<string, string> = database ? { DATABASE_URL: database.url } : {};
    services.push(
      await startService(
        'aggregator',
        argsOf('aggregator', { '--port': aggPort, '--health-port': healthPort }),
        {
          logFile: join(dir, 'aggregator.log'),
          env: envOf('aggregator', aggregatorEnv),
          timeoutMs: 180_000,
        },
      ),
    );
    await until('the aggregator healthy', () => healthy('aggregator'));
    // The audit checkpoint key where --audit-key-dir put it: in the aggregator's state volume.
    await expect(readFile(join(homeOf('aggregator'), 'audit-key/public.pem'), 'utf8')).resolves.toContain(
      'PUBLIC KEY',
    );

    services.push(
      await startService('gateway', argsOf('gateway', { '--port': gwPort }), {
        logFile: join(dir, 'gateway.log'),
        env: envOf('gateway'),
        timeoutMs: 120_000,
      }),
    );
    await until('the gateway healthy', () => healthy('gateway'));

    // invite: the script as compose hands it to the shell ($$ is compose's escape for $).
    const invite = compose.services.invite;
    const script = (invite.command ?? [])
      .join('\n')
      .replaceAll('$$', '$')
      .replaceAll('/app/.cohort/federation', federation)
      .replaceAll('/join-tokens', join(dir, 'join-tokens'))
      .replaceAll('node bin/cohort.js', `"${process.execPath}" "${COHORT_BIN}"`);
    const gatewayUrl = `http://127.0.0.1:${gwPort}`;
    expect(invite.environment?.COHORT_GATEWAY_URL).toBe('http://gateway:8080');
    const invited = await run('/bin/sh', ['-c', script], {
      cwd: app,
      env: envOf('invite', { COHORT_GATEWAY_URL: gatewayUrl }),
      timeout: 120_000,
    });
    expect(invited.stdout.trim().split('\n')).toEqual(SILOS.map((s) => `invited ${s}`));
    // Run again (a restarted stack): nobody is invited twice.
    const again = await run('/bin/sh', ['-c', script], {
      cwd: app,
      env: envOf('invite', { COHORT_GATEWAY_URL: gatewayUrl }),
      timeout: 60_000,
    });
    expect(again.stdout.trim()).toBe('');

    for (const silo of SILOS) {
      const name = `silo-${silo}`;
      expect(await healthy(name)).toBe(false);
      services.push(
        await startService(name, argsOf(name, { '--health-port': siloHealth.get(name) ?? 0 }), {
          logFile: join(dir, `${name}.log`),
          env: envOf(name),
          timeoutMs: 120_000,
        }),
      );
    }
    for (const silo of SILOS) await until(`silo ${silo} enrolled`, () => healthy(`silo-${silo}`));

    const token = (
      await run(
        process.execPath,
        [COHORT_BIN, 'dev', 'token', '--role', 'site-admin', '--federation', federation],
        { env: envOf('invite') },
      )
    ).stdout.trim();
    const silos = async (): Promise<{ siloId: string; status: string; connected: boolean }[]> => {
      const r = await fetch(`${gatewayUrl}/v1/silos`, { headers: { authorization: `Bearer ${token}` } });
      return ((await r.json()) as { silos: { siloId: string; status: string; connected: boolean }[] }).silos;
    };
    await until(
      'four silos connected',
      async () => (await silos()).filter((s) => s.connected).length === SILOS.length,
    );
    expect((await silos()).map((s) => [s.siloId, s.status]).sort()).toEqual(
      SILOS.map((s) => [s, 'enrolled']),
    );

    // An enrolled silo restarts without its token file (the Secret removed after enrolment).
    const va = services.find((s) => s.name === 'silo-va');
    await va?.stop();
    await unlink(join(dir, 'join-tokens/va'));
    services.push(
      await startService('silo-va', argsOf('silo-va', { '--health-port': siloHealth.get('silo-va') ?? 0 }), {
        logFile: join(dir, 'silo-va.log'),
        env: envOf('silo-va'),
        timeoutMs: 120_000,
      }),
    );
    await until(
      'va connected again',
      async () => (await silos()).find((s) => s.siloId === 'va')?.connected === true,
    );
  }, 600_000);
});

import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, posix, resolve } from 'node:path';
import { Ajv } from 'ajv';
import draft7 from 'ajv/dist/refs/json-schema-draft-07.json' with { type: 'json' };
import { parse } from 'yaml';
import { checkCohortArgs } from './testing/cohort-args.js';
import { runtimeCopies } from './testing/dockerfile.js';
import { repositoryRoot } from './k8s/generate.js';

const root = repositoryRoot();
const schema = JSON.parse(readFileSync(join(root, 'deploy/schemas/compose-spec.json'), 'utf8')) as object;
const text = readFileSync(join(root, 'deploy/compose.yaml'), 'utf8');
// Compose resolves YAML merge keys (<<: *anchor) before it validates; so does this parse.
const compose = parse(text, { merge: true }) as { services: Record<string, Service> } & Record<string, any>;

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  entrypoint?: string[];
  healthcheck?: { test: string[] };
  volumes?: string[];
  ports?: string[];
  restart?: string;
  user?: string;
  depends_on?: Record<string, { condition: string }>;
  environment?: Record<string, string>;
}

// The specification names its meta-schema by the https address; Ajv ships draft-07 under the http one.
const ajv = new Ajv({ allErrors: true, strict: false });
ajv.addMetaSchema({ ...draft7, $id: 'https://json-schema.org/draft-07/schema' });
const validator = ajv.compile(schema);
const problems = (doc: unknown): string[] =>
  validator(doc) ? [] : (validator.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);

const SILOS = ['cleveland', 'hungarian', 'switzerland', 'va'];
const APP = '/app';

/** The image's folder a container path falls in, mapped back to the repository (COPY src dest in the Dockerfile). */
function repositoryPathOf(containerPath: string): string | undefined {
  for (const copy of runtimeCopies(root)) {
    const dest = posix.resolve(APP, copy.dest);
    if (containerPath === dest || containerPath.startsWith(`${dest}/`)) {
      return join(root, copy.source, posix.relative(dest, containerPath));
    }
  }
  return undefined;
}

describe('deploy/compose.yaml', () => {
  it('is valid against the Compose Specification schema', () => {
    expect(problems(compose)).toEqual([]);
  });

  it('the schema check refuses what Compose would refuse (unknown keys, a wrong type)', () => {
    const broken = structuredClone(compose) as any;
    broken.services.aggregator.volumes = 'federation:/app/.cohort/federation';
    broken.services.gateway.restart_policy = 'always';
    const found = problems(broken);
    expect(found).toContain('/services/aggregator/volumes must be array');
    expect(found).toContain('/services/gateway must NOT have additional properties');
  });

  it('runs PostgreSQL, the aggregator, the gateway and four silo agents, with the one-shot setup before them', () => {
    expect(Object.keys(compose.services).sort()).toEqual(
      ['aggregator', 'gateway', 'init', 'invite', 'postgres', ...SILOS.map((s) => `silo-${s}`)].sort(),
    );
    for (const [name, service] of Object.entries(compose.services)) {
      if (name === 'postgres') continue;
      expect(service.build).toEqual({ context: '..', dockerfile: 'deploy/Dockerfile' });
      expect(service.user).toBeUndefined(); // the image's non-root user
    }
    expect(compose.services.aggregator.depends_on).toEqual({
      init: { condition: 'service_completed_successfully' },
      postgres: { condition: 'service_healthy' },
    });
    expect(compose.services.aggregator.environment?.DATABASE_URL).toMatch(
      /^postgres:\/\/cohort:.*@postgres:5432\/cohort$/,
    );
  });

  it('checks the health of every long-running service; only the gateway publishes a port, on loopback', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      if (name === 'init' || name === 'invite') {
        expect(service.restart).toBe('no');
        continue;
      }
      expect(service.healthcheck?.test[0]).toBe('CMD');
      expect(service.ports ?? []).toEqual(
        name === 'gateway' ? ['127.0.0.1:${COHORT_GATEWAY_PORT:-8080}:8080'] : [],
      );
    }
  });

  it('asks the aggregator and the gateway for readiness on the ports their commands open', () => {
    const ready = (name: string, flag: string): void => {
      const service = compose.services[name];
      const port = checkCohortArgs(service.command ?? []).parsed!.options.get(flag);
      expect(service.healthcheck?.test.join(' ')).toContain(`http://127.0.0.1:${String(port)}/health/ready`);
    };
    ready('aggregator', '--health-port');
    ready('gateway', '--port');
    for (const silo of SILOS) ready(`silo-${silo}`, '--health-port');
  });

  it('passes each service only commands and flags the cohort CLI takes', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      if (name === 'postgres' || name === 'invite') continue;
      expect([name, checkCohortArgs(service.command ?? []).problems]).toEqual([name, []]);
    }
    // The invitation script's cohort calls, with compose's $$ escapes resolved as the shell will see them.
    const script = (compose.services.invite.command ?? []).join('\n').replaceAll('$$', '$');
    const calls = [...script.matchAll(/node bin\/cohort\.js ([^|)\n]+)/g)].map((m) =>
      m[1]
        .trim()
        .split(/\s+/)
        .map((a) => a.replace(/^"(.*)"$/, '$1')),
    );
    expect(calls.map((c) => c.slice(0, 2))).toEqual([
      ['dev', 'token'],
      ['silo', 'invite'],
    ]);
    for (const call of calls) expect(checkCohortArgs(call).problems).toEqual([]);
  });

  it("gives each silo the shipped example, whose data and federation paths land on the image's files and mounts", () => {
    for (const silo of SILOS) {
      const service = compose.services[`silo-${silo}`];
      const args = checkCohortArgs(service.command ?? []).parsed!;
      const config = posix.resolve(APP, String(args.options.get('--config')));
      const source = repositoryPathOf(config);
      expect(source && existsSync(source)).toBe(true);
      const example = JSON.parse(readFileSync(source!, 'utf8')) as {
        siloId: string;
        datasets: { file: string }[];
        tls: { caFile: string };
        trustFile: string;
      };
      expect(example.siloId).toBe(silo);
      const inImage = (p: string): string => (isAbsolute(p) ? p : posix.resolve(posix.dirname(config), p));
      for (const d of example.datasets) {
        const data = repositoryPathOf(inImage(d.file));
        expect(data && existsSync(data)).toBe(true);
      }
      const mounts = (service.volumes ?? []).map((v) => v.split(':'));
      const federation = mounts.find(([volume]) => volume === 'federation');
      expect(federation?.[2]).toBe('ro');
      for (const p of [example.tls.caFile, example.trustFile])
        expect(inImage(p).startsWith(`${federation?.[1]}/`)).toBe(true);
      const state = mounts.find(([volume]) => volume === `silo-${silo}-state`);
      expect(state?.[1]).toBe('/var/lib/cohort'); // COHORT_HOME of the image: <home>/silos/<id> is the state folder
      expect(args.options.get('--join-token-file')).toBe(`/join-tokens/${silo}`);
      expect(mounts).toContainEqual(['join-tokens', '/join-tokens', 'ro']);
    }
    expect(resolve(root, 'deploy', compose.services.aggregator.build!.context)).toBe(root);
  });

  it('mounts the federation where init writes it, and the aggregator certificate names the host silos dial', () => {
    const init = checkCohortArgs(compose.services.init.command ?? []).parsed!;
    expect(init.command).toEqual(['init']);
    const dir = String(init.options.get('--dir'));
    expect(compose.services.init.volumes).toEqual([`federation:${dir}`]);
    expect(init.options.get('--host')).toBe('aggregator');
    for (const name of ['aggregator', 'gateway']) {
      const args = checkCohortArgs(compose.services[name].command ?? []).parsed!;
      expect(args.options.get('--federation')).toBe(dir);
      expect(compose.services[name].volumes).toContain(`federation:${dir}:ro`);
    }
    for (const silo of SILOS) {
      const args = checkCohortArgs(compose.services[`silo-${silo}`].command ?? []).parsed!;
      expect(args.options.get('--aggregator')).toBe('aggregator:50051');
    }
    for (const volume of Object.values(compose.services).flatMap((s) => s.volumes ?? [])) {
      const name = volume.split(':')[0];
      expect(Object.keys(compose.volumes as object)).toContain(name);
    }
  });
});

describe('deploy/compose.silo.yaml (one hospital)', () => {
  const silo = parse(readFileSync(join(root, 'deploy/compose.silo.yaml'), 'utf8'), { merge: true }) as {
    services: Record<string, Service & { secrets?: string[]; read_only?: boolean }>;
  } & Record<string, any>;

  it('is valid against the Compose Specification schema', () => {
    expect(problems(silo)).toEqual([]);
  });

  it('runs one silo agent that opens no port, with its token from a Compose secret and its state in a volume', () => {
    expect(Object.keys(silo.services)).toEqual(['silo']);
    const service = silo.services.silo;
    expect(service.ports).toBeUndefined();
    expect(service.read_only).toBe(true);
    const args = checkCohortArgs(service.command ?? []);
    expect(args.problems).toEqual([]);
    const options = args.parsed!.options;
    // Compose mounts a secret at /run/secrets/<name>.
    expect(service.secrets).toEqual(['join-token']);
    expect(options.get('--join-token-file')).toBe('/run/secrets/join-token');
    expect(options.has('--health-host')).toBe(false);
    expect(service.healthcheck?.test.join(' ')).toContain(
      `http://127.0.0.1:${String(options.get('--health-port'))}/health/ready`,
    );
    const mounts = (service.volumes ?? []).map((v) => v.split(':').slice(-2));
    expect(mounts).toContainEqual([String(options.get('--config')), 'ro']);
    expect(mounts).toContainEqual(['/etc/cohort/federation', 'ro']);
    expect(mounts).toContainEqual(['/data/extract.csv', 'ro']);
    expect(service.volumes).toContain('silo-state:/var/lib/cohort');
  });
});

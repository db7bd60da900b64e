import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Namespace, PersistentVolumeClaim, Service, ServiceAccount } from 'kubernetes-models/v1';
import type { IContainer, IPodSpec, IVolume } from 'kubernetes-models/v1';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { parseAllDocuments } from 'yaml';
import { siloConfigSchema } from '../../services/silo-agent/src/config.js';
import { federationPaths } from '../../services/cli/src/federation-init.js';
import { checkCohortArgs } from '../testing/cohort-args.js';
import { renderManifestFiles, repositoryRoot } from './generate.js';
import {
  AGGREGATOR_HEALTH_PORT,
  AGGREGATOR_PORT,
  DOOR_IMAGE,
  OPERATOR_OBJECTS,
  RUN_AS,
  frontDoorConfig,
  hospitalSiloConfig,
} from './manifests.js';
import { CENTRAL, HOSPITAL } from './settings.js';

const root = repositoryRoot();
const k8sDir = join(root, 'deploy/k8s');

type Doc = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } } & Record<
  string,
  any
>;

const MODELS: Record<string, new (data: any) => { validate(): void }> = {
  'v1/Namespace': Namespace,
  'v1/ServiceAccount': ServiceAccount,
  'v1/Service': Service,
  'v1/ConfigMap': ConfigMap,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim,
  'apps/v1/Deployment': Deployment,
  'apps/v1/StatefulSet': StatefulSet,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
};

function committed(name: string): Doc[] {
  return parseAllDocuments(readFileSync(join(k8sDir, name), 'utf8')).map((d) => {
    if (d.errors.length > 0) throw new Error(`${name}: ${d.errors.map((e) => e.message).join('; ')}`);
    return d.toJS() as Doc;
  });
}

function validate(doc: Doc): void {
  const Model = MODELS[`${doc.apiVersion}/${doc.kind}`];
  if (!Model) throw new Error(`no schema for ${doc.apiVersion} ${doc.kind}`);
  new Model(doc).validate();
}

const central = committed('central.yaml');
const hospital = committed('hospital-silo.yaml');
const find = (docs: Doc[], kind: string, name: string): Doc => {
  const doc = docs.find((d) => d.kind === kind && d.metadata.name === name);
  if (!doc) throw new Error(`no ${kind} ${name}`);
  return doc;
};
const podOf = (d: Doc): IPodSpec => d.spec.template.spec as IPodSpec;
const deployments = [...central, ...hospital].filter((d) => d.kind === 'Deployment' || d.kind === 'StatefulSet');

describe('deploy/k8s', () => {
  it('is what deploy/k8s/generate.ts writes today (run `npm run deploy:k8s` after editing the generator)', () => {
    const fresh = renderManifestFiles(root);
    const onDisk = readdirSync(k8sDir).filter((f) => f.endsWith('.yaml'));
    expect(onDisk.sort()).toEqual([...fresh.keys()].sort());
    for (const [name, text] of fresh) expect(readFileSync(join(k8sDir, name), 'utf8')).toBe(text);
  });

  it('validates every committed object against its Kubernetes schema', () => {
    expect(central.length).toBeGreaterThan(10);
    expect(hospital.length).toBeGreaterThan(5);
    for (const doc of [...central, ...hospital]) expect(() => validate(doc)).not.toThrow();
  });

  it('the schema check refuses a malformed object (a port given as a list, a missing selector)', () => {
    const broken = structuredClone(find(central, 'StatefulSet', 'cohort-aggregator'));
    broken.spec.template.spec.containers[0].ports = [{ containerPort: ['50051'] }];
    expect(() => validate(broken)).toThrow(/containerPort/);
    const noSelector = structuredClone(find(central, 'Deployment', 'cohort-gateway'));
    delete noSelector.spec.selector;
    expect(() => validate(noSelector)).toThrow(/selector/);
  });

  it('runs every pod as the image user, never root, with a read-only root file system and no privileges', () => {
    for (const d of deployments) {
      const pod = podOf(d);
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: RUN_AS, fsGroup: RUN_AS });
      expect(pod.automountServiceAccountToken).toBe(false);
      for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
        expect(c.securityContext).toMatchObject({
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
          capabilities: { drop: ['ALL'] },
        });
        expect(c.resources?.requests).toEqual(
          expect.objectContaining({ cpu: expect.any(String), memory: expect.any(String) }),
        );
        expect(c.resources?.limits).toEqual(
          expect.objectContaining({ cpu: expect.any(String), memory: expect.any(String) }),
        );
      }
      for (const c of pod.containers) {
        expect(c.livenessProbe).toBeDefined();
        expect(c.readinessProbe).toBeDefined();
      }
    }
  });

  it('passes each service only commands and flags the cohort CLI takes', () => {
    for (const d of deployments) {
      for (const c of podOf(d).containers) {
        expect(c.command).toBeUndefined(); // the image's ENTRYPOINT: `node bin/cohort.js`, or HAProxy's
        if (c.image === DOOR_IMAGE) expect(c.args).toBeUndefined();
        else expect(checkCohortArgs(c.args ?? []).problems).toEqual([]);
      }
    }
    expect(checkCohortArgs(['aggregator', 'start', '--no-such-flag']).problems).toEqual([
      'cohort aggregator start has no option --no-such-flag',
    ]);
    expect(checkCohortArgs(['silo', 'start']).problems).toEqual(['cohort silo start requires --config']);
  });

  it('mounts every Secret and ConfigMap the operator creates, with the keys deploy/README.md describes', () => {
    const readme = readFileSync(join(root, 'deploy/README.md'), 'utf8');
    const known = new Map<string, readonly string[]>(
      Object.values(OPERATOR_OBJECTS).map((o) => [o.name, o.keys]),
    );
    const generatedConfigMaps = new Set(
      [...central, ...hospital].filter((d) => d.kind === 'ConfigMap').map((d) => d.metadata.name),
    );
    const referenced = new Set<string>();
    const refer = (name: string | undefined, keys: (string | undefined)[]): void => {
      if (!name || generatedConfigMaps.has(name)) return;
      referenced.add(name);
      expect(known.has(name)).toBe(true);
      for (const key of keys) if (key) expect(known.get(name)).toContain(key);
    };
    for (const d of deployments) {
      const pod = podOf(d);
      for (const v of pod.volumes ?? ([] as IVolume[])) {
        refer(v.secret?.secretName, []);
        refer(v.configMap?.name, (v.configMap?.items ?? []).map((i) => i.key));
        for (const s of v.projected?.sources ?? []) {
          refer(s.secret?.name, (s.secret?.items ?? []).map((i) => i.key));
          refer(s.configMap?.name, (s.configMap?.items ?? []).map((i) => i.key));
        }
      }
      for (const c of pod.containers)
        for (const e of c.env ?? []) {
          const ref = e.valueFrom?.secretKeyRef;
          if (ref) refer(ref.name, [ref.key]);
        }
    }
    expect([...referenced].sort()).toEqual([...known.keys()].sort());
    for (const [name, keys] of known) {
      expect(readme).toContain(`\`${name}\``);
      for (const key of keys) expect(readme).toContain(`\`${key}\``);
    }
  });

  describe('central side', () => {
    const aggregator = find(central, 'StatefulSet', 'cohort-aggregator');
    const container = (d: Doc, name: string): IContainer => {
      const c = podOf(d).containers.find((x) => x.name === name);
      if (!c) throw new Error(`no container ${name}`);
      return c;
    };

    it('runs several aggregator replicas on the external PostgreSQL named by a Secret, sharing one audit key', () => {
      expect(aggregator.spec.replicas).toBeGreaterThanOrEqual(2);
      const c = container(aggregator, 'aggregator');
      expect(c.env).toContainEqual({
        name: 'DATABASE_URL',
        valueFrom: { secretKeyRef: { name: OPERATOR_OBJECTS.database.name, key: 'DATABASE_URL' } },
      });
      const args = checkCohortArgs(c.args ?? []).parsed!;
      expect(args.options.get('--audit-key-dir')).toBe('/var/lib/cohort/audit-key');
      // Replicas sharing the database need distinct lease names: each its pod's.
      expect(args.options.get('--replica-id')).toBe('$(POD_NAME)');
      expect(c.env).toContainEqual({ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } });
      const health = c.ports?.find((p) => p.name === 'health');
      expect(String(health?.containerPort)).toBe(args.options.get('--health-port'));
      expect(c.readinessProbe?.httpGet).toEqual({ path: '/health/ready', port: 'health' });
      expect(c.livenessProbe?.httpGet).toEqual({ path: '/health/live', port: 'health' });
      const install = podOf(aggregator).initContainers?.[0];
      expect(install?.command?.at(-1)).toBe('/var/lib/cohort/audit-key/identity.key');
      expect(install?.command).toContain('0600');
    });

    it("lays the federation's files out where the aggregator looks for them (cohort init's layout)", () => {
      const c = container(aggregator, 'aggregator');
      const dir = String(checkCohortArgs(c.args ?? []).parsed!.options.get('--federation'));
      const mount = c.volumeMounts?.find((m) => m.mountPath === dir);
      const volume = podOf(aggregator).volumes?.find((v) => v.name === mount?.name);
      const files = (volume?.projected?.sources ?? []).flatMap((s) =>
        [...(s.secret?.items ?? []), ...(s.configMap?.items ?? [])].map((i) => join(dir, i.path)),
      );
      const paths = federationPaths(dir);
      for (const f of ['ca.crt', 'aggregator.crt', 'aggregator.key', 'ca.key'])
        expect(files).toContain(join(paths.pkiDir, f));
      expect(files).toContain(paths.trustFile);
      // The trust file names its verifier's key set relative to itself: attestation/jwks.json.
      expect(files).toContain(join(paths.authorityDir, 'jwks.json'));
    });

    it('exposes the gateway inside the cluster and the aggregators, through their front door, to hospitals', () => {
      const services = central
        .filter((d) => d.kind === 'Service')
        .map((d) => [d.metadata.name, d.spec.type ?? d.spec.clusterIP, d.spec.selector['app.kubernetes.io/component']]);
      expect(services).toEqual([
        ['cohort-aggregator-pods', 'None', 'aggregator'],
        ['cohort-aggregator', 'ClusterIP', 'aggregator-door'],
        ['cohort-aggregator-public', 'LoadBalancer', 'aggregator-door'],
        ['cohort-gateway', 'ClusterIP', 'gateway'],
      ]);
      const gateway = container(find(central, 'Deployment', 'cohort-gateway'), 'gateway');
      const args = checkCohortArgs(gateway.args ?? []).parsed!;
      expect(args.options.get('--aggregator')).toBe(`cohort-aggregator:${AGGREGATOR_PORT}`);
      expect(args.options.get('--oidc-issuer')).toBe(CENTRAL.oidcIssuer);
      expect(gateway.readinessProbe?.httpGet?.path).toBe('/health/ready');
      expect(gateway.livenessProbe?.httpGet?.path).toBe('/health/live');
    });

    it('denies by default and allows gateway→aggregator, hospitals→aggregator and aggregator→PostgreSQL', () => {
      const policies = central.filter((d) => d.kind === 'NetworkPolicy') as unknown as INetworkPolicy[];
      const byName = new Map(policies.map((p) => [p.metadata?.name, p.spec!]));
      expect(byName.get('default-deny')).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
      const component = (name: string): string | undefined =>
        byName.get(name)?.podSelector?.matchLabels?.['app.kubernetes.io/component'];
      const from = (name: string): unknown => byName.get(name)?.ingress;
      const pods = (c: string): unknown => ({
        podSelector: { matchLabels: expect.objectContaining({ 'app.kubernetes.io/component': c }) },
      });
      const grpc = { protocol: 'TCP', port: AGGREGATOR_PORT };
      const health = { protocol: 'TCP', port: AGGREGATOR_HEALTH_PORT };
      expect(component('aggregator-door-ingress-from-gateway')).toBe('aggregator-door');
      expect(from('aggregator-door-ingress-from-gateway')).toEqual([{ from: [pods('gateway')], ports: [grpc] }]);
      expect(component('aggregator-door-ingress-from-silos')).toBe('aggregator-door');
      expect(from('aggregator-door-ingress-from-silos')).toEqual([
        { from: CENTRAL.hospitalCidrs.map((cidr) => ({ ipBlock: { cidr } })), ports: [grpc] },
      ]);
      expect(component('aggregator-ingress-from-door')).toBe('aggregator');
      expect(from('aggregator-ingress-from-door')).toEqual([
        { from: [pods('aggregator-door')], ports: [grpc, health] },
      ]);
      expect(byName.get('aggregator-door-egress')?.egress).toEqual([{ to: [pods('aggregator')], ports: [grpc, health] }]);
      expect(byName.get('aggregator-egress-to-postgres')?.egress).toEqual([
        { to: [{ ipBlock: { cidr: CENTRAL.postgresCidr } }], ports: [{ protocol: 'TCP', port: CENTRAL.postgresPort }] },
      ]);
      expect(component('gateway-egress')).toBe('gateway');
      expect(byName.get('gateway-egress')?.egress?.[0]).toEqual({ to: [pods('aggregator-door')], ports: [grpc] });
    });
  });

  describe("the aggregators' front door", () => {
    const config = String(find(central, 'ConfigMap', 'cohort-aggregator-door').data['haproxy.cfg']);

    it('is a configuration HAProxy accepts (haproxy -c, the Debian build of the image\'s release)', () => {
      expect(config).toBe(frontDoorConfig(CENTRAL));
      const dir = mkdtempSync(join(tmpdir(), 'cohort-door-'));
      writeFileSync(join(dir, 'haproxy.cfg'), config);
      const r = spawnSync('haproxy', ['-c', '-f', join(dir, 'haproxy.cfg')], { encoding: 'utf8' });
      expect(r.error).toBeUndefined(); // .ci/run installs haproxy
      expect([r.status, r.stdout + r.stderr]).toEqual([0, 'Configuration file is valid\n']);
      const version = spawnSync('haproxy', ['-v'], { encoding: 'utf8' }).stdout;
      expect(version).toContain(`version ${DOOR_IMAGE.split(':')[1].replace('-alpine', '')}.`);
      const broken = spawnSync('haproxy', ['-c', '-f', '/dev/stdin'], {
        input: config.replace('option httpchk', 'option httpcheck'),
        encoding: 'utf8',
      });
      expect(broken.status).not.toBe(0);
    });

    it('prefers the replicas in order, checks their readiness, and moves every connection on a change', () => {
      const set = find(central, 'StatefulSet', 'cohort-aggregator');
      const servers = config.split('\n').filter((l) => l.trimStart().startsWith('server '));
      expect(servers).toHaveLength(set.spec.replicas);
      servers.forEach((line, i) => {
        const [, , address, ...flags] = line.trim().split(/\s+/);
        expect(address).toBe(
          `${set.metadata.name}-${i}.${set.spec.serviceName}.${CENTRAL.namespace}.svc.cluster.local:${AGGREGATOR_PORT}`,
        );
        expect(flags).toEqual(i === 0 ? ['on-marked-up', 'shutdown-backup-sessions'] : ['backup']);
      });
      expect(config).toContain('option httpchk GET /health/ready');
      expect(config).toMatch(new RegExp(`default-server check port ${AGGREGATOR_HEALTH_PORT} .*on-marked-down shutdown-sessions`));
      const door = find(central, 'Deployment', 'cohort-aggregator-door');
      expect(podOf(door).containers[0].volumeMounts).toEqual([
        { name: 'config', mountPath: '/usr/local/etc/haproxy', readOnly: true },
      ]);
      expect(door.spec.template.metadata.annotations['cohort/config-sha256']).toBe(
        createHash('sha256').update(config).digest('hex'),
      );
    });
  });

  describe("a hospital's silo", () => {
    it('exposes no Service and accepts no connection; dials only the aggregator and DNS', () => {
      expect(hospital.filter((d) => d.kind === 'Service')).toEqual([]);
      const silo = find(hospital, 'NetworkPolicy', 'silo-egress-to-aggregator') as unknown as INetworkPolicy;
      expect(silo.spec?.policyTypes).toEqual(['Ingress', 'Egress']);
      expect(silo.spec?.ingress).toEqual([]);
      const egress = silo.spec?.egress ?? [];
      expect(egress[0]).toEqual({
        to: [{ ipBlock: { cidr: HOSPITAL.aggregatorCidr } }],
        ports: [{ protocol: 'TCP', port: 50051 }],
      });
      expect(egress.slice(1).every((r) => r.ports?.every((p) => p.port === 53))).toBe(true);
      expect(find(hospital, 'NetworkPolicy', 'default-deny').spec.policyTypes).toEqual(['Ingress', 'Egress']);
    });

    it("carries a configuration the silo agent accepts, reading data and state from the pod's volumes", () => {
      const map = find(hospital, 'ConfigMap', 'cohort-silo-config');
      const raw: unknown = JSON.parse(map.data['silo.json']);
      expect(raw).toEqual(hospitalSiloConfig(root, HOSPITAL));
      const parsed = siloConfigSchema.parse(raw);
      expect(parsed.datasets[0]).toMatchObject({ file: `/data/${HOSPITAL.dataFile}` });
      expect(parsed.aggregatorUrl).toBe(HOSPITAL.aggregatorAddress);
      const deployment = find(hospital, 'Deployment', 'cohort-silo');
      const c = podOf(deployment).containers[0];
      const mounts = new Map((c.volumeMounts ?? []).map((m) => [m.mountPath, m]));
      expect(mounts.get('/data')?.readOnly).toBe(true);
      expect(parsed.stateDir?.startsWith('/var/lib/cohort/')).toBe(true);
      expect(mounts.get('/var/lib/cohort')?.readOnly).toBeUndefined();
      const claims = podOf(deployment)
        .volumes?.filter((v) => v.persistentVolumeClaim)
        .map((v) => v.persistentVolumeClaim?.claimName);
      expect(claims).toEqual(['cohort-silo-data', 'cohort-silo-state']);
      for (const claim of claims ?? []) expect(find(hospital, 'PersistentVolumeClaim', claim!)).toBeDefined();
      const args = checkCohortArgs(c.args ?? []).parsed!;
      expect(args.options.get('--join-token-file')).toBe('/run/secrets/cohort/join-token/token');
      // Its health listener stays on the pod's loopback (no --health-host): the probes run inside the container.
      expect(args.options.has('--health-host')).toBe(false);
      expect(c.ports).toBeUndefined();
      const port = String(args.options.get('--health-port'));
      expect(c.readinessProbe?.exec?.command?.join(' ')).toContain(`http://127.0.0.1:${port}/health/ready`);
      expect(c.livenessProbe?.exec?.command?.join(' ')).toContain(`http://127.0.0.1:${port}/health/live`);
      const tokenVolume = podOf(deployment).volumes?.find((v) => v.name === 'join-token');
      expect(tokenVolume?.secret).toMatchObject({ secretName: OPERATOR_OBJECTS.siloJoinToken.name, optional: true });
    });
  });
});

// Kubernetes manifests for Cohort, built from typed models (kubernetes-models) so that a wrong field is a type
// error here and a schema error in deploy/k8s/manifests.spec.ts, never a surprise at `kubectl apply`.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import {
  NetworkPolicy,
  type INetworkPolicyPeer,
  type INetworkPolicyPort,
} from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import {
  ConfigMap,
  Namespace,
  PersistentVolumeClaim,
  Service,
  ServiceAccount,
  type IContainer,
  type IPodSecurityContext,
  type IProbe,
  type ISecurityContext,
} from 'kubernetes-models/v1';
import { stringify } from 'yaml';
import type { CentralSettings, HospitalSettings } from './settings.js';

export type Manifest =
  | ConfigMap
  | Deployment
  | StatefulSet
  | Namespace
  | NetworkPolicy
  | PersistentVolumeClaim
  | PodDisruptionBudget
  | Service
  | ServiceAccount;

export const AGGREGATOR_PORT = 50051;
export const GATEWAY_PORT = 8080;
/** The aggregator's HTTP listener for /health/live, /health/ready and /metrics (`--health-port`). */
export const AGGREGATOR_HEALTH_PORT = 9464;
/** The front door's own readiness endpoint (HAProxy monitor-uri): ready while some aggregator is. */
export const DOOR_MONITOR_PORT = 8405;
/** HAProxy's Debian and Docker releases of the same LTS line: the one deploy/k8s/manifests.spec.ts checks with. */
export const DOOR_IMAGE = 'haproxy:2.6-alpine';
const PODS_SERVICE = 'cohort-aggregator-pods';
/** The silo agent's health listener, on the pod's loopback only: probes run inside the container. */
export const SILO_HEALTH_PORT = 9465;
/** The image's user (deploy/Dockerfile): numeric, so runAsNonRoot can be checked. */
export const RUN_AS = 10001;

/**
 * The Secrets and ConfigMaps an operator creates from the output of `cohort init` (deploy/README.md says how).
 * They are not generated: their content is the federation's keys, and the trust file's measurements are those
 * of the image the operator runs.
 */
export const OPERATOR_OBJECTS = {
  aggregatorTls: {
    kind: 'Secret',
    name: 'cohort-aggregator-tls',
    keys: ['ca.crt', 'aggregator.crt', 'aggregator.key', 'ca.key'],
  },
  gatewayTls: { kind: 'Secret', name: 'cohort-gateway-tls', keys: ['ca.crt', 'gateway.crt', 'gateway.key'] },
  auditKey: { kind: 'Secret', name: 'cohort-audit-key', keys: ['identity.key'] },
  database: { kind: 'Secret', name: 'cohort-database', keys: ['DATABASE_URL'] },
  attestationAuthority: {
    kind: 'Secret',
    name: 'cohort-attestation-authority',
    keys: ['authority.key', 'jwks.json'],
  },
  trust: { kind: 'ConfigMap', name: 'cohort-trust', keys: ['trust.json'] },
  siloFederation: { kind: 'ConfigMap', name: 'cohort-federation', keys: ['ca.crt', 'trust.json'] },
  siloJoinToken: { kind: 'Secret', name: 'cohort-silo-join-token', keys: ['token'] },
} as const;

const FEDERATION_DIR = '/etc/cohort/federation';
const STATE_DIR = '/var/lib/cohort';
const SECRET_MODE = 0o400;

const podSecurity: IPodSecurityContext = {
  runAsNonRoot: true,
  runAsUser: RUN_AS,
  runAsGroup: RUN_AS,
  // Lets the user read mounted Secrets (group-readable) and write its volumes.
  fsGroup: RUN_AS,
  seccompProfile: { type: 'RuntimeDefault' },
};

const containerSecurity: ISecurityContext = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
  capabilities: { drop: ['ALL'] },
};

function labels(component: string): Record<string, string> {
  return { 'app.kubernetes.io/name': 'cohort', 'app.kubernetes.io/component': component };
}

function selector(component: string): { matchLabels: Record<string, string> } {
  return { matchLabels: labels(component) };
}

function namespace(name: string): Namespace {
  return new Namespace({
    metadata: {
      name,
      labels: {
        'app.kubernetes.io/name': 'cohort',
        // The restricted Pod Security Standard: what the pods below already satisfy, enforced.
        'pod-security.kubernetes.io/enforce': 'restricted',
      },
    },
  });
}

function serviceAccount(ns: string, component: string): ServiceAccount {
  // No Cohort service talks to the Kubernetes API: no token in its pods.
  return new ServiceAccount({
    metadata: { name: `cohort-${component}`, namespace: ns, labels: labels(component) },
    automountServiceAccountToken: false,
  });
}

function httpProbe(path: string, port: number | string, periodSeconds: number, failureThreshold: number): IProbe {
  return { httpGet: { path, port }, periodSeconds, failureThreshold, timeoutSeconds: 3 };
}

/** An HTTP check made from inside the container, for a listener bound to the pod's loopback. */
function loopbackProbe(path: string, port: number, periodSeconds: number, failureThreshold: number): IProbe {
  const script = `fetch('http://127.0.0.1:${port}${path}').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))`;
  return { exec: { command: ['node', '-e', script] }, periodSeconds, failureThreshold, timeoutSeconds: 5 };
}

/** Denies every connection in the namespace that a later policy does not allow. */
function defaultDeny(ns: string): NetworkPolicy {
  return new NetworkPolicy({
    metadata: { name: 'default-deny', namespace: ns, labels: { 'app.kubernetes.io/name': 'cohort' } },
    spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
  });
}

const KUBE_DNS: INetworkPolicyPeer = {
  namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
  podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
};

function allowDns(ns: string): NetworkPolicy {
  return new NetworkPolicy({
    metadata: { name: 'allow-dns', namespace: ns, labels: { 'app.kubernetes.io/name': 'cohort' } },
    spec: {
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [
        {
          to: [KUBE_DNS],
          ports: [
            { protocol: 'UDP', port: 53 },
            { protocol: 'TCP', port: 53 },
          ],
        },
      ],
    },
  });
}

function policy(
  ns: string,
  name: string,
  component: string,
  spec: Omit<NetworkPolicy['spec'] & object, 'podSelector'>,
): NetworkPolicy {
  return new NetworkPolicy({
    metadata: { name, namespace: ns, labels: labels(component) },
    spec: { podSelector: selector(component), ...spec },
  });
}

function namespacePeer(name: string): INetworkPolicyPeer {
  return { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': name } } };
}

function aggregator(s: CentralSettings): Manifest[] {
  const ns = s.namespace;
  const o = OPERATOR_OBJECTS;
  const container: IContainer = {
    name: 'aggregator',
    image: s.image,
    imagePullPolicy: 'IfNotPresent',
    args: [
      'aggregator',
      'start',
      '--host',
      '0.0.0.0',
      '--port',
      String(AGGREGATOR_PORT),
      '--federation',
      FEDERATION_DIR,
      '--audit-key-dir',
      `${STATE_DIR}/audit-key`,
      '--health-port',
      String(AGGREGATOR_HEALTH_PORT),
      // Each replica's name in the job leases: the pod's, unique and stable for its life.
      '--replica-id',
      '$(POD_NAME)',
    ],
    env: [
      { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'DATABASE_URL', valueFrom: { secretKeyRef: { name: o.database.name, key: 'DATABASE_URL' } } },
      { name: 'COHORT_LOG_LEVEL', value: 'info' },
    ],
    ports: [
      { name: 'grpc', containerPort: AGGREGATOR_PORT, protocol: 'TCP' },
      { name: 'health', containerPort: AGGREGATOR_HEALTH_PORT, protocol: 'TCP' },
    ],
    // Migrations and the enclave's start come first. Ready: the database answers, no migration is pending and
    // the enclave runs; a database outage takes replicas out of the Service without restarting them.
    startupProbe: httpProbe('/health/live', 'health', 2, 60),
    readinessProbe: httpProbe('/health/ready', 'health', 5, 3),
    livenessProbe: httpProbe('/health/live', 'health', 10, 6),
    resources: {
      requests: { cpu: '500m', memory: '512Mi' },
      limits: { cpu: '2', memory: '2Gi' },
    },
    securityContext: containerSecurity,
    volumeMounts: [
      { name: 'federation', mountPath: FEDERATION_DIR, readOnly: true },
      { name: 'state', mountPath: STATE_DIR },
      { name: 'tmp', mountPath: '/tmp' },
    ],
  };
  // The checkpoint key must be the owner's alone (mode 0600), which a Secret volume cannot give once fsGroup
  // makes it group-readable: a first container copies it into the pod's own volume with that mode.
  const installAuditKey: IContainer = {
    name: 'install-audit-key',
    image: s.image,
    imagePullPolicy: 'IfNotPresent',
    command: [
      'install',
      '-D',
      '-m',
      '0600',
      '/run/secrets/cohort/audit-key/identity.key',
      `${STATE_DIR}/audit-key/identity.key`,
    ],
    resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { cpu: '100m', memory: '64Mi' } },
    securityContext: containerSecurity,
    volumeMounts: [
      { name: 'audit-key', mountPath: '/run/secrets/cohort/audit-key', readOnly: true },
      { name: 'state', mountPath: STATE_DIR },
    ],
  };
  const statefulSet = new StatefulSet({
    metadata: { name: 'cohort-aggregator', namespace: ns, labels: labels('aggregator') },
    spec: {
      // Replicas share the external PostgreSQL; each job is leased to one of them. A StatefulSet for stable
      // names (cohort-aggregator-0, -1, …) that the front door lists in its order of preference.
      replicas: s.aggregatorReplicas,
      serviceName: PODS_SERVICE,
      podManagementPolicy: 'Parallel',
      selector: selector('aggregator'),
      updateStrategy: { type: 'RollingUpdate' },
      template: {
        metadata: { labels: labels('aggregator') },
        spec: {
          serviceAccountName: 'cohort-aggregator',
          automountServiceAccountToken: false,
          securityContext: podSecurity,
          // A round in progress ends cleanly on SIGTERM before the pod goes.
          terminationGracePeriodSeconds: 60,
          topologySpreadConstraints: [
            {
              maxSkew: 1,
              topologyKey: 'kubernetes.io/hostname',
              whenUnsatisfiable: 'ScheduleAnyway',
              labelSelector: selector('aggregator'),
            },
          ],
          initContainers: [installAuditKey],
          containers: [container],
          volumes: [
            {
              name: 'federation',
              projected: {
                defaultMode: SECRET_MODE,
                sources: [
                  {
                    secret: {
                      name: o.aggregatorTls.name,
                      items: o.aggregatorTls.keys.map((key) => ({ key, path: `pki/${key}` })),
                    },
                  },
                  { configMap: { name: o.trust.name, items: [{ key: 'trust.json', path: 'trust.json' }] } },
                  {
                    secret: {
                      name: o.attestationAuthority.name,
                      items: o.attestationAuthority.keys.map((key) => ({ key, path: `attestation/${key}` })),
                    },
                  },
                ],
              },
            },
            { name: 'audit-key', secret: { secretName: o.auditKey.name, defaultMode: SECRET_MODE } },
            { name: 'state', emptyDir: { sizeLimit: '64Mi' } },
            { name: 'tmp', emptyDir: { sizeLimit: '256Mi' } },
          ],
        },
      },
    },
  });
  const pods = new Service({
    metadata: { name: PODS_SERVICE, namespace: ns, labels: labels('aggregator') },
    spec: {
      // Headless: one DNS name per replica, published before it is ready so the front door sees it come up.
      clusterIP: 'None',
      publishNotReadyAddresses: true,
      selector: labels('aggregator'),
      ports: [
        { name: 'grpc', port: AGGREGATOR_PORT, targetPort: 'grpc', protocol: 'TCP' },
        { name: 'health', port: AGGREGATOR_HEALTH_PORT, targetPort: 'health', protocol: 'TCP' },
      ],
    },
  });
  const budget = new PodDisruptionBudget({
    metadata: { name: 'cohort-aggregator', namespace: ns, labels: labels('aggregator') },
    spec: { maxUnavailable: 1, selector: selector('aggregator') },
  });
  return [serviceAccount(ns, 'aggregator'), statefulSet, pods, budget, ...frontDoor(s)];
}

/**
 * The aggregators' front door, HAProxy's configuration. The replicas serve silos active/standby (the main README,
 * "Several aggregator replicas"): a job's owner reaches only the silos connected to it, so every silo and the
 * gateway go to one ready replica, the first in order; when it fails its connections are cut and go to the next,
 * whose leases take the jobs over; when it is back, the backups' connections are cut so all return to it.
 */
export function frontDoorConfig(s: CentralSettings): string {
  const server = (i: number): string =>
    `  server aggregator-${i} cohort-aggregator-${i}.${PODS_SERVICE}.${s.namespace}.svc.cluster.local:${AGGREGATOR_PORT}` +
    (i === 0 ? ' on-marked-up shutdown-backup-sessions' : ' backup');
  return [
    '# Generated by deploy/k8s/generate.ts: the front door of the aggregator replicas (TCP; TLS passes through).',
    'global',
    '  log stdout format raw local0 info',
    '',
    'defaults',
    '  mode tcp',
    '  log global',
    '  option tcplog',
    '  timeout connect 5s',
    // A silo's task stream stays open between rounds; gRPC keepalives and the agent's reconnect cover the rest.
    '  timeout client 24h',
    '  timeout server 24h',
    '  timeout check 3s',
    '',
    'resolvers cluster',
    '  parse-resolv-conf',
    '  hold valid 5s',
    '  hold nx 5s',
    '',
    'frontend grpc',
    `  bind :${AGGREGATOR_PORT}`,
    '  default_backend aggregators',
    '',
    'frontend monitor',
    '  mode http',
    `  bind :${DOOR_MONITOR_PORT}`,
    '  timeout client 5s',
    '  monitor-uri /ready',
    '  monitor fail if { nbsrv(aggregators) lt 1 }',
    '',
    'backend aggregators',
    // Ready replicas only: database answering, no migration pending, enclave running.
    '  option httpchk GET /health/ready',
    `  default-server check port ${AGGREGATOR_HEALTH_PORT} inter 2s fall 2 rise 2 resolvers cluster init-addr none on-marked-down shutdown-sessions`,
    ...Array.from({ length: s.aggregatorReplicas }, (_, i) => server(i)),
    '',
  ].join('\n');
}

function frontDoor(s: CentralSettings): Manifest[] {
  const ns = s.namespace;
  const config = new ConfigMap({
    metadata: { name: 'cohort-aggregator-door', namespace: ns, labels: labels('aggregator-door') },
    data: { 'haproxy.cfg': frontDoorConfig(s) },
  });
  const container: IContainer = {
    name: 'haproxy',
    image: DOOR_IMAGE,
    imagePullPolicy: 'IfNotPresent',
    ports: [
      { name: 'grpc', containerPort: AGGREGATOR_PORT, protocol: 'TCP' },
      { name: 'monitor', containerPort: DOOR_MONITOR_PORT, protocol: 'TCP' },
    ],
    // Ready while some aggregator is; alive while it accepts connections.
    readinessProbe: httpProbe('/ready', 'monitor', 5, 2),
    livenessProbe: { tcpSocket: { port: 'grpc' }, periodSeconds: 10, failureThreshold: 6, timeoutSeconds: 3 },
    resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
    securityContext: containerSecurity,
    volumeMounts: [{ name: 'config', mountPath: '/usr/local/etc/haproxy', readOnly: true }],
  };
  const deployment = new Deployment({
    metadata: { name: 'cohort-aggregator-door', namespace: ns, labels: labels('aggregator-door') },
    spec: {
      replicas: 2,
      selector: selector('aggregator-door'),
      template: {
        metadata: {
          labels: labels('aggregator-door'),
          // A new configuration (another replica count) rolls the door.
          annotations: { 'cohort/config-sha256': createHash('sha256').update(frontDoorConfig(s)).digest('hex') },
        },
        spec: {
          serviceAccountName: 'cohort-aggregator-door',
          automountServiceAccountToken: false,
          securityContext: podSecurity,
          containers: [container],
          volumes: [{ name: 'config', configMap: { name: 'cohort-aggregator-door' } }],
        },
      },
    },
  });
  const internal = new Service({
    metadata: { name: 'cohort-aggregator', namespace: ns, labels: labels('aggregator-door') },
    spec: {
      type: 'ClusterIP',
      selector: labels('aggregator-door'),
      ports: [{ name: 'grpc', port: AGGREGATOR_PORT, targetPort: 'grpc', protocol: 'TCP' }],
    },
  });
  const publicService = new Service({
    metadata: { name: 'cohort-aggregator-public', namespace: ns, labels: labels('aggregator-door') },
    spec: {
      // Hospitals dial out to this address; Local keeps their source addresses for the NetworkPolicy below.
      type: 'LoadBalancer',
      externalTrafficPolicy: 'Local',
      selector: labels('aggregator-door'),
      ports: [{ name: 'grpc', port: AGGREGATOR_PORT, targetPort: 'grpc', protocol: 'TCP' }],
    },
  });
  return [serviceAccount(ns, 'aggregator-door'), config, deployment, internal, publicService];
}

function gateway(s: CentralSettings): Manifest[] {
  const ns = s.namespace;
  const o = OPERATOR_OBJECTS;
  const tlsDir = '/etc/cohort/gateway-tls';
  const container: IContainer = {
    name: 'gateway',
    image: s.image,
    imagePullPolicy: 'IfNotPresent',
    args: [
      'gateway',
      'start',
      '--host',
      '0.0.0.0',
      '--port',
      String(GATEWAY_PORT),
      '--aggregator',
      `cohort-aggregator:${AGGREGATOR_PORT}`,
      '--tls-dir',
      tlsDir,
      '--oidc-issuer',
      s.oidcIssuer,
      '--oidc-role-claim',
      s.oidcRoleClaim,
    ],
    env: [{ name: 'COHORT_LOG_LEVEL', value: 'info' }],
    ports: [{ name: 'http', containerPort: GATEWAY_PORT, protocol: 'TCP' }],
    startupProbe: httpProbe('/health/live', 'http', 2, 30),
    // Ready only while the aggregator answers; alive as long as the gateway itself does.
    readinessProbe: httpProbe('/health/ready', 'http', 5, 3),
    livenessProbe: httpProbe('/health/live', 'http', 10, 6),
    resources: {
      requests: { cpu: '100m', memory: '256Mi' },
      limits: { cpu: '1', memory: '1Gi' },
    },
    securityContext: containerSecurity,
    volumeMounts: [
      { name: 'tls', mountPath: tlsDir, readOnly: true },
      { name: 'tmp', mountPath: '/tmp' },
    ],
  };
  const deployment = new Deployment({
    metadata: { name: 'cohort-gateway', namespace: ns, labels: labels('gateway') },
    spec: {
      replicas: 2,
      selector: selector('gateway'),
      template: {
        metadata: { labels: labels('gateway') },
        spec: {
          serviceAccountName: 'cohort-gateway',
          automountServiceAccountToken: false,
          securityContext: podSecurity,
          containers: [container],
          volumes: [
            { name: 'tls', secret: { secretName: o.gatewayTls.name, defaultMode: SECRET_MODE } },
            { name: 'tmp', emptyDir: { sizeLimit: '64Mi' } },
          ],
        },
      },
    },
  });
  const service = new Service({
    metadata: { name: 'cohort-gateway', namespace: ns, labels: labels('gateway') },
    spec: {
      type: 'ClusterIP',
      selector: labels('gateway'),
      ports: [{ name: 'http', port: GATEWAY_PORT, targetPort: 'http', protocol: 'TCP' }],
    },
  });
  return [serviceAccount(ns, 'gateway'), deployment, service];
}

function centralPolicies(s: CentralSettings): NetworkPolicy[] {
  const ns = s.namespace;
  const grpc: INetworkPolicyPort[] = [{ protocol: 'TCP', port: AGGREGATOR_PORT }];
  const health: INetworkPolicyPort[] = [{ protocol: 'TCP', port: AGGREGATOR_HEALTH_PORT }];
  return [
    defaultDeny(ns),
    allowDns(ns),
    policy(ns, 'gateway-ingress', 'gateway', {
      policyTypes: ['Ingress'],
      ingress: [
        {
          from: [namespacePeer(s.ingressNamespace), namespacePeer(s.monitoringNamespace)],
          ports: [{ protocol: 'TCP', port: GATEWAY_PORT }],
        },
      ],
    }),
    policy(ns, 'gateway-egress', 'gateway', {
      policyTypes: ['Egress'],
      egress: [
        { to: [{ podSelector: selector('aggregator-door') }], ports: grpc },
        // The sign-in provider's key set (JWKS), fetched over HTTPS.
        { to: [{ ipBlock: { cidr: s.oidcCidr } }], ports: [{ protocol: 'TCP', port: 443 }] },
      ],
    }),
    policy(ns, 'aggregator-door-ingress-from-gateway', 'aggregator-door', {
      policyTypes: ['Ingress'],
      ingress: [{ from: [{ podSelector: selector('gateway') }], ports: grpc }],
    }),
    policy(ns, 'aggregator-door-ingress-from-silos', 'aggregator-door', {
      policyTypes: ['Ingress'],
      ingress: [{ from: s.hospitalCidrs.map((cidr) => ({ ipBlock: { cidr } })), ports: grpc }],
    }),
    policy(ns, 'aggregator-door-egress', 'aggregator-door', {
      policyTypes: ['Egress'],
      egress: [{ to: [{ podSelector: selector('aggregator') }], ports: [...grpc, ...health] }],
    }),
    policy(ns, 'aggregator-ingress-from-door', 'aggregator', {
      policyTypes: ['Ingress'],
      ingress: [{ from: [{ podSelector: selector('aggregator-door') }], ports: [...grpc, ...health] }],
    }),
    policy(ns, 'aggregator-ingress-from-monitoring', 'aggregator', {
      policyTypes: ['Ingress'],
      ingress: [
        {
          from: [namespacePeer(s.monitoringNamespace)],
          ports: [{ protocol: 'TCP', port: AGGREGATOR_HEALTH_PORT }],
        },
      ],
    }),
    policy(ns, 'aggregator-egress-to-postgres', 'aggregator', {
      policyTypes: ['Egress'],
      egress: [{ to: [{ ipBlock: { cidr: s.postgresCidr } }], ports: [{ protocol: 'TCP', port: s.postgresPort }] }],
    }),
  ];
}

/** The operator's side: aggregator replicas on an external PostgreSQL, the gateway, and their network rules. */
export function centralManifests(s: CentralSettings): Manifest[] {
  return [namespace(s.namespace), ...aggregator(s), ...gateway(s), ...centralPolicies(s)];
}

/** The silo's configuration as the ConfigMap carries it: the example hospital's data rules, container paths. */
export function hospitalSiloConfig(root: string, s: HospitalSettings): Record<string, unknown> {
  const example = JSON.parse(readFileSync(join(root, s.exampleConfig), 'utf8')) as {
    datasets: Record<string, unknown>[];
  } & Record<string, unknown>;
  return {
    ...example,
    siloId: s.siloId,
    aggregatorUrl: s.aggregatorAddress,
    datasets: example.datasets.map((d) => ({ ...d, file: `/data/${s.dataFile}` })),
    tls: { caFile: `${FEDERATION_DIR}/ca.crt` },
    trustFile: `${FEDERATION_DIR}/trust.json`,
    attestation: { kind: 'insecure-dev', authorityDir: `${FEDERATION_DIR}/attestation` },
    stateDir: `${STATE_DIR}/silo`,
  };
}

/** A hospital's side: one silo agent that only dials out, its configuration, data and state volumes. */
export function hospitalManifests(root: string, s: HospitalSettings): Manifest[] {
  const ns = s.namespace;
  const o = OPERATOR_OBJECTS;
  const joinTokenDir = '/run/secrets/cohort/join-token';
  const config = new ConfigMap({
    metadata: { name: 'cohort-silo-config', namespace: ns, labels: labels('silo') },
    data: { 'silo.json': `${JSON.stringify(hospitalSiloConfig(root, s), null, 2)}\n` },
  });
  const claim = (name: string, storage: string): PersistentVolumeClaim =>
    new PersistentVolumeClaim({
      metadata: { name, namespace: ns, labels: labels('silo') },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage } } },
    });
  const container: IContainer = {
    name: 'silo',
    image: s.image,
    imagePullPolicy: 'IfNotPresent',
    args: [
      'silo',
      'start',
      '--config',
      '/etc/cohort/silo/silo.json',
      '--join-token-file',
      `${joinTokenDir}/token`,
      '--health-port',
      String(SILO_HEALTH_PORT),
    ],
    env: [{ name: 'COHORT_LOG_LEVEL', value: 'info' }],
    // The agent accepts no connection: its health listener is on the pod's loopback (the default host), so the
    // probes run inside the container. Ready: its data passed the start-up check and its stream is open.
    startupProbe: loopbackProbe('/health/live', SILO_HEALTH_PORT, 5, 60),
    readinessProbe: loopbackProbe('/health/ready', SILO_HEALTH_PORT, 15, 3),
    livenessProbe: loopbackProbe('/health/live', SILO_HEALTH_PORT, 30, 3),
    resources: {
      requests: { cpu: '1', memory: '1Gi' },
      limits: { cpu: '2', memory: '4Gi' },
    },
    securityContext: containerSecurity,
    volumeMounts: [
      { name: 'config', mountPath: '/etc/cohort/silo', readOnly: true },
      { name: 'federation', mountPath: FEDERATION_DIR, readOnly: true },
      { name: 'join-token', mountPath: joinTokenDir, readOnly: true },
      { name: 'data', mountPath: '/data', readOnly: true },
      { name: 'state', mountPath: STATE_DIR },
      { name: 'tmp', mountPath: '/tmp' },
    ],
  };
  const deployment = new Deployment({
    metadata: { name: 'cohort-silo', namespace: ns, labels: labels('silo') },
    spec: {
      // One agent per silo identity; Recreate so two never hold the state volume at once.
      replicas: 1,
      strategy: { type: 'Recreate' },
      selector: selector('silo'),
      template: {
        metadata: { labels: labels('silo') },
        spec: {
          serviceAccountName: 'cohort-silo',
          automountServiceAccountToken: false,
          securityContext: podSecurity,
          terminationGracePeriodSeconds: 60,
          containers: [container],
          volumes: [
            { name: 'config', configMap: { name: config.metadata?.name ?? '' } },
            {
              name: 'federation',
              projected: {
                defaultMode: SECRET_MODE,
                sources: [
                  { configMap: { name: o.siloFederation.name } },
                  {
                    secret: {
                      name: o.attestationAuthority.name,
                      items: o.attestationAuthority.keys.map((key) => ({ key, path: `attestation/${key}` })),
                    },
                  },
                ],
              },
            },
            // Needed at the first start only: the agent starts without it once enrolled.
            {
              name: 'join-token',
              secret: { secretName: o.siloJoinToken.name, optional: true, defaultMode: SECRET_MODE },
            },
            { name: 'data', persistentVolumeClaim: { claimName: 'cohort-silo-data', readOnly: true } },
            { name: 'state', persistentVolumeClaim: { claimName: 'cohort-silo-state' } },
            { name: 'tmp', emptyDir: { sizeLimit: '256Mi' } },
          ],
        },
      },
    },
  });
  const port = portOf(s.aggregatorAddress);
  const egress = policy(ns, 'silo-egress-to-aggregator', 'silo', {
    // No ingress rule: nothing may connect to the agent. Egress: the aggregator's gRPC port and DNS, nothing else.
    policyTypes: ['Ingress', 'Egress'],
    ingress: [],
    egress: [
      { to: [{ ipBlock: { cidr: s.aggregatorCidr } }], ports: [{ protocol: 'TCP', port }] },
      {
        to: [KUBE_DNS],
        ports: [
          { protocol: 'UDP', port: 53 },
          { protocol: 'TCP', port: 53 },
        ],
      },
    ],
  });
  return [
    namespace(ns),
    serviceAccount(ns, 'silo'),
    config,
    claim('cohort-silo-data', s.dataStorage),
    claim('cohort-silo-state', s.stateStorage),
    deployment,
    defaultDeny(ns),
    egress,
  ];
}

function portOf(address: string): number {
  const match = /^[^:]+:(\d{1,5})$/.exec(address);
  if (!match) throw new Error(`aggregator address ${JSON.stringify(address)} is not host:port`);
  return Number(match[1]);
}

const HEADER =
  '# Generated by deploy/k8s/generate.ts from deploy/k8s/settings.ts (npm run deploy:k8s): edit those, not this.\n';

/** One multi-document YAML file; each object validated against its Kubernetes schema first. */
export function renderYaml(manifests: Manifest[]): string {
  return (
    HEADER +
    manifests
      .map((m) => {
        m.validate();
        return stringify(m.toJSON(), { lineWidth: 0 });
      })
      .join('---\n')
  );
}

// What differs between one federation and another: edit here (or pass your own to the render functions) and run
// `npm run deploy:k8s`. The committed YAML uses these example values; addresses are from documentation ranges.

export interface CentralSettings {
  namespace: string;
  image: string;
  aggregatorReplicas: number;
  /** Where the gateway's traffic comes from: the ingress controller's namespace. */
  ingressNamespace: string;
  /** Where Prometheus runs; it may scrape the services' metrics ports. */
  monitoringNamespace: string;
  /** The hospitals' egress addresses: the only sources allowed on the aggregator's public gRPC port. */
  hospitalCidrs: string[];
  /** The external PostgreSQL server (a NetworkPolicy names addresses, not host names). */
  postgresCidr: string;
  postgresPort: number;
  /** The OpenID Connect provider the gateway verifies sign-in tokens against. */
  oidcIssuer: string;
  oidcRoleClaim: string;
  /** The provider's addresses: the gateway fetches its key set over HTTPS. */
  oidcCidr: string;
}

export interface HospitalSettings {
  namespace: string;
  image: string;
  /** The silo's name in the federation (`cohort silo invite <name>`). */
  siloId: string;
  /** The aggregator's public address as its certificate names it. */
  aggregatorAddress: string;
  /** The aggregator's public IP range: the silo's only destination besides DNS. */
  aggregatorCidr: string;
  /** Which example configuration of examples/heart-disease the committed ConfigMap is written from. */
  exampleConfig: string;
  /** The CSV file's name on the data volume. */
  dataFile: string;
  dataStorage: string;
  stateStorage: string;
}

export const IMAGE = 'registry.example.org/cohort:0.1.0';

export const CENTRAL: CentralSettings = {
  namespace: 'cohort',
  image: IMAGE,
  aggregatorReplicas: 3,
  ingressNamespace: 'ingress-nginx',
  monitoringNamespace: 'monitoring',
  hospitalCidrs: ['192.0.2.0/24', '198.51.100.0/24'],
  postgresCidr: '10.20.0.10/32',
  postgresPort: 5432,
  oidcIssuer: 'https://keycloak.example.org/realms/cohort',
  oidcRoleClaim: 'realm_access.roles',
  oidcCidr: '203.0.113.20/32',
};

export const HOSPITAL: HospitalSettings = {
  namespace: 'cohort-silo',
  image: IMAGE,
  siloId: 'cleveland',
  aggregatorAddress: 'aggregator.cohort.example.org:50051',
  aggregatorCidr: '203.0.113.10/32',
  exampleConfig: 'examples/heart-disease/silo-cleveland.json',
  dataFile: 'processed.cleveland.data',
  dataStorage: '10Gi',
  stateStorage: '1Gi',
};

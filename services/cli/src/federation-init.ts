import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { InsecureDevAuthority } from '@cohort/attestation';
import { DEFAULT_DEV_ISSUER_URL, DevIssuer } from '@cohort/auth';
import type { TrustFile } from '@cohort/config';
import {
  CA_CERT_FILE,
  LocalCa,
  createCertificateRequest,
  createLocalCa,
  issueServerCertificate,
  signClientCertificate,
  writeTlsFiles,
} from '@cohort/pki';
import { measureEnclave } from '../../aggregator/src/enclave/bundle.js';
import { measureAgent } from '../../silo-agent/src/trust/agent-bundle.js';

/** Where `cohort init` puts a federation's files unless told otherwise; the services look here by default. */
export const DEFAULT_FEDERATION_DIR = '.cohort/federation';

export interface FederationFiles {
  dir: string;
  pkiDir: string;
  authorityDir: string;
  trustFile: string;
  caFile: string;
  /** The development sign-in issuer's key (`cohort dev token`, the gateway's dev mode). */
  devIssuerDir: string;
  enclaveMeasurement: string;
  agentMeasurement: string;
  createdCa: boolean;
}

export function federationPaths(
  dir: string,
): Pick<FederationFiles, 'dir' | 'pkiDir' | 'authorityDir' | 'trustFile' | 'caFile' | 'devIssuerDir'> {
  const root = resolve(dir);
  return {
    dir: root,
    pkiDir: join(root, 'pki'),
    authorityDir: join(root, 'attestation'),
    trustFile: join(root, 'trust.json'),
    caFile: join(root, 'pki', CA_CERT_FILE),
    devIssuerDir: join(root, 'dev-issuer'),
  };
}

/**
 * A local federation for development and the demo: a CA with the aggregator's server certificate and the
 * gateway's client certificate (silos get theirs at enrolment), the insecure-dev attestation authority, and a
 * trust file allowing exactly the enclave and agent code of this build. An existing CA is kept (re-running
 * refreshes the certificates and measurements), so enrolled silos stay valid.
 */
export async function initFederation(dir: string, opts: { hosts?: string[] } = {}): Promise<FederationFiles> {
  const paths = federationPaths(dir);
  await mkdir(paths.pkiDir, { recursive: true, mode: 0o700 });
  const createdCa = !existsSync(paths.caFile);
  const ca = createdCa
    ? await createLocalCa(paths.pkiDir, { commonName: 'Cohort federation CA' })
    : await LocalCa.load(paths.pkiDir);
  const hosts = opts.hosts ?? [];
  const server = await issueServerCertificate(ca, {
    commonName: 'aggregator',
    dnsNames: ['localhost', ...hosts.filter((h) => !/^[\d.:]+$/.test(h))],
    ipAddresses: ['127.0.0.1', ...hosts.filter((h) => /^[\d.:]+$/.test(h))],
  });
  await writeTlsFiles(paths.pkiDir, 'aggregator', server);
  const request = await createCertificateRequest('gateway');
  const gatewayCert = await signClientCertificate(ca, request.csrPem, { commonName: 'gateway' });
  await writeTlsFiles(paths.pkiDir, 'gateway', { certPem: gatewayCert, keyPem: request.keyPem });

  await InsecureDevAuthority.loadOrCreate(paths.authorityDir);
  // Created now so the gateway and `cohort dev token` agree on one key from the first start.
  await DevIssuer.create({ issuer: DEFAULT_DEV_ISSUER_URL, keyDir: paths.devIssuerDir });
  const [enclaveMeasurement, agentMeasurement] = await Promise.all([measureEnclave(), measureAgent()]);
  const verifier = { kind: 'insecure-dev' as const, jwksFile: 'attestation/jwks.json' };
  // insecure-dev verifiers and allowDebug: for development only (see INSECURE_DEV_WARNING); a real federation
  // names its attestation service (kind "jwks") and refuses debug evidence.
  const trust: TrustFile = {
    audience: 'cohort-federation',
    enclave: { verifier, measurements: [enclaveMeasurement], allowDebug: true },
    agent: { verifier, measurements: [agentMeasurement], allowDebug: true },
  };
  await writeFile(paths.trustFile, `${JSON.stringify(trust, null, 2)}\n`);
  return { ...paths, enclaveMeasurement, agentMeasurement, createdCa };
}

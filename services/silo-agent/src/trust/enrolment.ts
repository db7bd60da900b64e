import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { lastValueFrom } from 'rxjs';
import type { Logger } from 'pino';
import type { SiloIdentity } from '@cohort/identity';
import { createCertificateRequest, readTlsFiles, writeTlsFiles, type TlsFiles } from '@cohort/pki';
import { ConfigurationError } from '@cohort/config';
import type { SiloConfig } from '../config.js';
import { createFederationClient } from '../federation-client.js';
import type { AgentTokens } from './agent-token.js';
import { AuditLog, FileAuditStore } from '@cohort/audit';
import { LOCAL_AUDIT_FILE } from '../audit/local-audit.service.js';

const TLS_NAME = 'silo';

/**
 * The silo's mTLS client identity. A hospital CA's certificate is used as configured; otherwise the silo
 * enrols once with its join token: it sends its identity public key, its agent token and a certificate request
 * for a TLS key generated here, and keeps the certificate it gets back. Private keys never leave this folder.
 */
export async function ensureEnrolled(
  config: SiloConfig,
  identity: SiloIdentity,
  tokens: AgentTokens,
  log: Logger,
): Promise<TlsFiles | undefined> {
  const tls = config.tls;
  if (!tls) return undefined;
  if (tls.certFile && tls.keyFile) {
    return { certPem: await readFile(tls.certFile, 'utf8'), keyPem: await readFile(tls.keyFile, 'utf8') };
  }
  const dir = join(config.stateDir, 'tls');
  if (existsSync(join(dir, `${TLS_NAME}.crt`))) return readTlsFiles(dir, TLS_NAME);
  if (!config.joinToken) {
    throw new ConfigurationError(
      `silo "${config.siloId}" is not enrolled yet: start it once with --join-token (from \`cohort silo invite ${config.siloId}\`)`,
    );
  }
  const caPem = await readFile(tls.caFile, 'utf8');
  const { csrPem, keyPem } = await createCertificateRequest(config.siloId);
  const { proxy, client } = createFederationClient(config.aggregatorUrl, { caPem });
  try {
    const response = await lastValueFrom(
      client.enroll({
        joinToken: config.joinToken,
        siloPublicKey: identity.publicKeyRaw,
        agentAttestationToken: await tokens.issue(),
        siloName: config.siloId,
        tlsCsrPem: csrPem,
      }),
    );
    const certPem = Buffer.from(response.certificatePem).toString('utf8');
    if (!certPem)
      throw new Error('the aggregator issued no certificate (does the federation use a hospital CA?)');
    await writeTlsFiles(dir, TLS_NAME, { certPem, keyPem });
    log.info(
      { audit: true, siloId: config.siloId, keyFingerprint: identity.fingerprint },
      'enrolled with the federation',
    );
    await recordEnrolment(config.stateDir, config.siloId, identity, config.aggregatorUrl);
    return { certPem, keyPem };
  } finally {
    proxy.close();
  }
}

/** The first entry of the silo's own audit log: with which key, and where, it joined the federation. */
async function recordEnrolment(
  stateDir: string,
  siloId: string,
  identity: SiloIdentity,
  aggregatorUrl: string,
): Promise<void> {
  const store = await FileAuditStore.open(join(stateDir, LOCAL_AUDIT_FILE));
  const audit = new AuditLog({ store, signingKey: identity.privateKey });
  try {
    await audit.append({
      actor: `silo:${siloId}`,
      action: 'silo.enrolled',
      subject: `silo:${siloId}`,
      details: { siloId, keyFingerprint: identity.fingerprint, aggregator: aggregatorUrl },
    });
  } finally {
    await audit.close();
    await store.close();
  }
}

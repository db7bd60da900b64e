import 'reflect-metadata';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NestFactory } from '@nestjs/core';
import { createVerifier } from '@cohort/attestation';
import { loadTrustFile } from '@cohort/config';
import { loadOrCreateIdentityKey } from '@cohort/identity';
import { createLogger } from '@cohort/observability';
import { initTensorflow } from '@cohort/training';
import { SiloConfig } from './config.js';
import { SiloAgentModule } from './app.module.js';
import { createFederationClient } from './federation-client.js';
import { DatasetsService } from './datasets.service.js';
import { SessionService } from './session.service.js';
import { AgentTokens } from './trust/agent-token.js';
import { ensureEnrolled } from './trust/enrolment.js';

export interface RunningSilo {
  siloId: string;
  backend: string;
  keyFingerprint: string;
  agentMeasurement: string;
  /** Resolves once the task stream to the aggregator is open. */
  connected: Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts a silo agent: no listening socket at all, only the outbound session to the aggregator. On first start
 * it creates its identity key and enrols; the data is checked at start so a broken file is reported before any
 * job arrives.
 */
export async function startSilo(config: SiloConfig): Promise<RunningSilo> {
  const log = createLogger(`silo-${config.siloId}`, config.logLevel);
  const trust = await loadTrustFile(config.trustFile);
  const identity = await loadOrCreateIdentityKey(join(config.stateDir, 'identity'));
  const tokens = await AgentTokens.create(config.authorityDir, identity, trust.audience);
  const tlsIdentity = await ensureEnrolled(config, identity, tokens, log);
  const { backend } = await initTensorflow();
  const caPem = config.tls ? await readFile(config.tls.caFile, 'utf8') : undefined;
  const { proxy, client } = createFederationClient(
    config.aggregatorUrl,
    caPem ? { caPem, certPem: tlsIdentity?.certPem, keyPem: tlsIdentity?.keyPem } : undefined,
  );
  const app = await NestFactory.createApplicationContext(
    SiloAgentModule.register({
      config,
      client,
      identity,
      tokens,
      enclavePolicy: {
        audience: trust.audience,
        policy: trust.enclave,
        verifier: await createVerifier(trust.enclave.verifier),
      },
      log,
    }),
    { logger: false },
  );
  const datasets = app.get(DatasetsService);
  for (const d of config.datasets) {
    const features = d.columns.map((c) => c.name).filter((n) => n !== d.label.column);
    await datasets
      .load(d.id, features)
      .catch((err: Error) => log.error({ datasetId: d.id, reason: err.message }, 'dataset cannot be used'));
  }
  const session = app.get(SessionService);
  session.start();
  log.info(
    {
      siloId: config.siloId,
      aggregator: config.aggregatorUrl,
      backend,
      agentMeasurement: tokens.measurement,
    },
    'silo agent started',
  );
  return {
    siloId: config.siloId,
    backend,
    keyFingerprint: identity.fingerprint,
    agentMeasurement: tokens.measurement,
    connected: session.firstConnection,
    close: async () => {
      await app.close();
      proxy.close();
    },
  };
}

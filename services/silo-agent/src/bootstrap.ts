import 'reflect-metadata';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NestFactory } from '@nestjs/core';
import { createVerifier } from '@cohort/attestation';
import { loadTrustFile } from '@cohort/config';
import { loadOrCreateIdentityKey } from '@cohort/identity';
import {
  SiloMetrics,
  createLogger,
  createMetricsRegistry,
  startHealthServer,
  type RunningHealthServer,
} from '@cohort/observability';
import { initTensorflow } from '@cohort/training';
import { SiloConfig } from './config.js';
import { SiloAgentModule } from './app.module.js';
import { createFederationClient } from './federation-client.js';
import { DatasetsService } from './datasets.service.js';
import { SessionService } from './session.service.js';
import { SiloHealthModule } from './health/health.module.js';
import { AgentTokens } from './trust/agent-token.js';
import { ensureEnrolled } from './trust/enrolment.js';

export interface RunningSilo {
  siloId: string;
  backend: string;
  keyFingerprint: string;
  agentMeasurement: string;
  /** http://host:port of /health/live, /health/ready and /metrics; absent unless configured. */
  healthUrl?: string;
  /** Resolves once the task stream to the aggregator is open. */
  connected: Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts a silo agent: no listening socket (unless its health listener is turned on for a container's probes),
 * only the outbound session to the aggregator. On first start
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
  // One registry per agent (never prom-client's global one).
  const metrics = new SiloMetrics(createMetricsRegistry('silo'));
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
      metrics,
    }),
    { logger: false },
  );
  const datasets = app.get(DatasetsService);
  for (const d of config.datasets) {
    // A FHIR export's features come with each job's mapping; its start-up check reads the export itself.
    const features =
      d.format === 'csv' ? d.columns.map((c) => c.name).filter((n) => n !== d.label.column) : [];
    await datasets.check(d.id, features);
  }
  const session = app.get(SessionService);
  session.start();
  let health: RunningHealthServer | undefined;
  if (config.health) {
    try {
      health = await startHealthServer(
        config.health.host,
        config.health.port,
        SiloHealthModule.register({ datasets, session, metrics }),
        log,
      );
    } catch (err) {
      await app.close();
      proxy.close();
      throw err;
    }
  }
  log.info(
    {
      siloId: config.siloId,
      aggregator: config.aggregatorUrl,
      backend,
      agentMeasurement: tokens.measurement,
      health: health?.url,
    },
    'silo agent started',
  );
  return {
    siloId: config.siloId,
    backend,
    keyFingerprint: identity.fingerprint,
    agentMeasurement: tokens.measurement,
    healthUrl: health?.url,
    connected: session.firstConnection,
    close: async () => {
      await health?.close();
      await app.close();
      proxy.close();
    },
  };
}

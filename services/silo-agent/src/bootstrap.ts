import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { createLogger } from '@cohort/observability';
import { initTensorflow } from '@cohort/training';
import { SiloConfig } from './config.js';
import { SiloAgentModule } from './app.module.js';
import { createFederationClient } from './federation-client.js';
import { DatasetsService } from './datasets.service.js';
import { SessionService } from './session.service.js';

export interface RunningSilo {
  siloId: string;
  backend: string;
  /** Resolves once the task stream to the aggregator is open. */
  connected: Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts a silo agent: no listening socket at all, only the outbound session to the aggregator.
 * The data is checked at start so a broken file is reported before any job arrives.
 */
export async function startSilo(config: SiloConfig): Promise<RunningSilo> {
  const log = createLogger(`silo-${config.siloId}`, config.logLevel);
  const { backend } = await initTensorflow();
  const { proxy, client } = createFederationClient(config.aggregatorUrl);
  const app = await NestFactory.createApplicationContext(
    SiloAgentModule.register(config, client, proxy, log),
    {
      logger: false,
    },
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
  log.info({ siloId: config.siloId, aggregator: config.aggregatorUrl, backend }, 'silo agent started');
  return {
    siloId: config.siloId,
    backend,
    connected: session.firstConnection,
    close: async () => {
      await app.close();
      proxy.close();
    },
  };
}

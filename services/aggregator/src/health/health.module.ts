import { Module, type DynamicModule } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import type { AggregatorMetrics } from '@cohort/observability';
import type { Database } from '@cohort/storage';
import { AGGREGATOR_METRICS } from '../common/metrics.provider.js';
import { DATABASE } from '../database/database.providers.js';
import { EnclaveHost } from '../enclave/enclave-host.service.js';
import { AggregatorHealthIndicators } from './aggregator.health.js';
import { HealthController } from './health.controller.js';
import { HealthRepository } from './health.repository.js';

export interface AggregatorHealthDependencies {
  db: Database;
  enclave: EnclaveHost;
  metrics: AggregatorMetrics;
}

/** A small HTTP application beside the gRPC one, sharing its database, enclave and metrics registry. */
@Module({})
export class AggregatorHealthModule {
  static register(d: AggregatorHealthDependencies): DynamicModule {
    return {
      module: AggregatorHealthModule,
      imports: [TerminusModule.forRoot({ errorLogStyle: 'json' })],
      controllers: [HealthController],
      providers: [
        { provide: DATABASE, useValue: d.db },
        { provide: EnclaveHost, useValue: d.enclave },
        { provide: AGGREGATOR_METRICS, useValue: d.metrics },
        HealthRepository,
        AggregatorHealthIndicators,
      ],
    };
  }
}

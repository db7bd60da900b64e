import { Module, type DynamicModule } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import type { SiloMetrics } from '@cohort/observability';
import { DatasetsService } from '../datasets.service.js';
import { SILO_METRICS } from '../metrics.provider.js';
import { SessionService } from '../session.service.js';
import { HealthController } from './health.controller.js';
import { SiloHealthIndicators } from './silo.health.js';

export interface SiloHealthDependencies {
  datasets: DatasetsService;
  session: SessionService;
  metrics: SiloMetrics;
}

/** A small HTTP application beside the agent's context, reading the agent's own services. */
@Module({})
export class SiloHealthModule {
  static register(d: SiloHealthDependencies): DynamicModule {
    return {
      module: SiloHealthModule,
      imports: [TerminusModule.forRoot({ errorLogStyle: 'json' })],
      controllers: [HealthController],
      providers: [
        { provide: DatasetsService, useValue: d.datasets },
        { provide: SessionService, useValue: d.session },
        { provide: SILO_METRICS, useValue: d.metrics },
        SiloHealthIndicators,
      ],
    };
  }
}

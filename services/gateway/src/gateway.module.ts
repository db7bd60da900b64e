import { Global, Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import type { Logger } from 'pino';
import type { GatewayMetrics } from '@cohort/observability';
import { AuthModule } from './auth/auth.module.js';
import { AuditModule } from './audit/audit.module.js';
import { HttpExceptionFilter } from './common/http-exception.filter.js';
import { DashboardModule } from './dashboard/dashboard.module.js';
import { GATEWAY_CONFIG, LOGGER, METRICS } from './common/tokens.js';
import type { GatewayConfig } from './config.js';
import { HealthModule } from './health/health.module.js';
import { JobsModule } from './jobs/jobs.module.js';
import type { ModelArtifactsConverter } from './models/model-artifacts.converter.js';
import { ModelsModule } from './models/models.module.js';
import { SilosModule } from './silos/silos.module.js';

/** Configuration, logger and metrics, visible to every module (the gRPC client factory included). */
@Global()
@Module({})
class CoreModule {
  static register(config: GatewayConfig, logger: Logger, metrics: GatewayMetrics): DynamicModule {
    return {
      module: CoreModule,
      providers: [
        { provide: GATEWAY_CONFIG, useValue: config },
        { provide: LOGGER, useValue: logger },
        { provide: METRICS, useValue: metrics },
      ],
      exports: [GATEWAY_CONFIG, LOGGER, METRICS],
    };
  }
}

export interface GatewayDependencies {
  config: GatewayConfig;
  logger: Logger;
  metrics: GatewayMetrics;
  modelArtifacts: ModelArtifactsConverter;
}

@Module({})
export class GatewayModule {
  static async forRoot(deps: GatewayDependencies): Promise<DynamicModule> {
    return {
      module: GatewayModule,
      imports: [
        CoreModule.register(deps.config, deps.logger, deps.metrics),
        await AuthModule.register(deps.config, deps.logger),
        HealthModule,
        AuditModule,
        JobsModule,
        ModelsModule.register(deps.modelArtifacts),
        SilosModule,
        DashboardModule,
      ],
      providers: [{ provide: APP_FILTER, useClass: HttpExceptionFilter }],
    };
  }
}

import { Controller, Get, Header, Inject, UseFilters } from '@nestjs/common';
import { HealthCheck, HealthCheckService, type HealthCheckResult } from '@nestjs/terminus';
import { METRICS_CONTENT_TYPE, type SiloMetrics } from '@cohort/observability';
import { SILO_METRICS } from '../metrics.provider.js';
import { HealthExceptionFilter } from './health-exception.filter.js';
import { SiloHealthIndicators } from './silo.health.js';

/** The container's probes and scrape; served only when the hospital turns the listener on. */
@Controller()
@UseFilters(HealthExceptionFilter)
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: SiloHealthIndicators,
    @Inject(SILO_METRICS) private readonly metrics: SiloMetrics,
  ) {}

  @Get('health/live')
  @HealthCheck()
  live(): Promise<HealthCheckResult> {
    return this.health.check([]);
  }

  @Get('health/ready')
  @HealthCheck()
  ready(): Promise<HealthCheckResult> {
    return this.health.check([() => this.indicators.datasetsLoaded(), () => this.indicators.sessionOpen()]);
  }

  @Get('metrics')
  @Header('Content-Type', METRICS_CONTENT_TYPE)
  scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}

import { Controller, Get, Header, Inject, UseFilters } from '@nestjs/common';
import { HealthCheck, HealthCheckService, type HealthCheckResult } from '@nestjs/terminus';
import { METRICS_CONTENT_TYPE, type AggregatorMetrics } from '@cohort/observability';
import { AGGREGATOR_METRICS } from '../common/metrics.provider.js';
import { AggregatorHealthIndicators } from './aggregator.health.js';
import { HealthExceptionFilter } from './health-exception.filter.js';

/**
 * The aggregator's probes and scrape, on their own HTTP port (the service itself speaks gRPC). Liveness asks
 * nothing of the database, so a database outage makes the aggregator unready, not restarted.
 */
@Controller()
@UseFilters(HealthExceptionFilter)
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: AggregatorHealthIndicators,
    @Inject(AGGREGATOR_METRICS) private readonly metrics: AggregatorMetrics,
  ) {}

  @Get('health/live')
  @HealthCheck()
  live(): Promise<HealthCheckResult> {
    return this.health.check([]);
  }

  @Get('health/ready')
  @HealthCheck()
  ready(): Promise<HealthCheckResult> {
    return this.health.check([
      () => this.indicators.database(),
      () => this.indicators.migrations(),
      () => this.indicators.enclaveProcess(),
    ]);
  }

  @Get('metrics')
  @Header('Content-Type', METRICS_CONTENT_TYPE)
  scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}

import { ApiTags } from '@nestjs/swagger';
import { Controller, Get, Header, Inject, UseFilters, VERSION_NEUTRAL } from '@nestjs/common';
import { HealthCheck, HealthCheckService, type HealthCheckResult } from '@nestjs/terminus';
import { METRICS_CONTENT_TYPE, type GatewayMetrics } from '@cohort/observability';
import { Public } from '../auth/auth.decorators.js';
import { METRICS } from '../common/tokens.js';
import { AggregatorHealthIndicator } from './aggregator.health.js';
import { HealthExceptionFilter } from './health-exception.filter.js';

/**
 * Probes and the Prometheus scrape, without sign-in. Liveness never calls the aggregator, so an orchestrator
 * does not restart the gateway for the aggregator's outage; readiness does, so traffic goes elsewhere meanwhile.
 */
@ApiTags('health')
@Controller({ version: VERSION_NEUTRAL })
@Public()
@UseFilters(HealthExceptionFilter)
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly aggregator: AggregatorHealthIndicator,
    @Inject(METRICS) private readonly metrics: GatewayMetrics,
  ) {}

  @Get('healthz')
  healthz(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('health/live')
  @HealthCheck()
  live(): Promise<HealthCheckResult> {
    return this.health.check([]);
  }

  @Get('health/ready')
  @HealthCheck()
  ready(): Promise<HealthCheckResult> {
    return this.health.check([() => this.aggregator.check()]);
  }

  @Get('metrics')
  @Header('Content-Type', METRICS_CONTENT_TYPE)
  scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}

import { Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { DatasetsService } from '../datasets.service.js';
import { SessionService } from '../session.service.js';

/** Readiness of a silo agent: its data can be used, and the aggregator can reach it (its stream is open). */
@Injectable()
export class SiloHealthIndicators {
  constructor(
    private readonly datasets: DatasetsService,
    private readonly session: SessionService,
    private readonly health: HealthIndicatorService,
  ) {}

  datasetsLoaded(): HealthIndicatorResult {
    const indicator = this.health.check('datasets');
    const { loaded, failed, pending } = this.datasets.status();
    if (failed.length === 0 && pending.length === 0) return indicator.up({ loaded });
    const reasons = [
      ...failed.map((f) => `${f.datasetId}: ${f.reason}`),
      ...pending.map((id) => `${id}: still being read`),
    ];
    return indicator.down({ message: reasons.join('; '), loaded });
  }

  sessionOpen(): HealthIndicatorResult {
    const indicator = this.health.check('aggregatorSession');
    return this.session.connected
      ? indicator.up()
      : indicator.down({ message: 'no open task stream to the aggregator; reconnecting' });
  }
}

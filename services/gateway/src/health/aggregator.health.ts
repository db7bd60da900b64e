import { Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { JobsClient } from '../aggregator/jobs.client.js';

/** How long readiness waits for the channel; below a probe's usual 1 s timeout. */
export const AGGREGATOR_PROBE_MS = 800;

/** Ready only while the aggregator can be reached: without it the gateway can answer nothing but errors. */
@Injectable()
export class AggregatorHealthIndicator {
  constructor(
    private readonly jobs: JobsClient,
    private readonly health: HealthIndicatorService,
  ) {}

  async check(key = 'aggregator'): Promise<HealthIndicatorResult> {
    const indicator = this.health.check(key);
    try {
      await this.jobs.reachable(AGGREGATOR_PROBE_MS);
      return indicator.up();
    } catch (err) {
      return indicator.down({ message: `the aggregator cannot be reached: ${(err as Error).message}` });
    }
  }
}

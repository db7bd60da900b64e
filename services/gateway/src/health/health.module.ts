import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { AggregatorModule } from '../aggregator/aggregator.module.js';
import { AggregatorHealthIndicator } from './aggregator.health.js';
import { HealthController } from './health.controller.js';

// Terminus logs a failed check through Nest's logger, which the gateway routes into its JSON log.
@Module({
  imports: [TerminusModule.forRoot({ errorLogStyle: 'json' }), AggregatorModule],
  controllers: [HealthController],
  providers: [AggregatorHealthIndicator],
})
export class HealthModule {}

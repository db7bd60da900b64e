import { Module } from '@nestjs/common';
import { AggregatorModule } from '../aggregator/aggregator.module.js';
import { JobController } from './job.controller.js';
import { JobService } from './job.service.js';

@Module({ imports: [AggregatorModule], controllers: [JobController], providers: [JobService] })
export class JobsModule {}

import { Module } from '@nestjs/common';
import { AggregatorModule } from '../aggregator/aggregator.module.js';
import { SiloController } from './silo.controller.js';
import { SiloService } from './silo.service.js';

@Module({ imports: [AggregatorModule], controllers: [SiloController], providers: [SiloService] })
export class SilosModule {}

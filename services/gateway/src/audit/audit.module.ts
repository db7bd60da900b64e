import { Module } from '@nestjs/common';
import { AggregatorModule } from '../aggregator/aggregator.module.js';
import { AuditController } from './audit.controller.js';
import { AuditService } from './audit.service.js';

@Module({ imports: [AggregatorModule], controllers: [AuditController], providers: [AuditService] })
export class AuditModule {}

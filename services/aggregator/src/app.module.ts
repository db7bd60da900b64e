import { Module, type DynamicModule, type OnApplicationShutdown, Inject } from '@nestjs/common';
import type { Database } from '@cohort/storage';
import type { Logger } from 'pino';
import { PostgresAuditStore, type AuditLog } from '@cohort/audit';
import type { AggregatorMetrics } from '@cohort/observability';
import { AUDIT_PUBLIC_KEYS, AUDIT_STORE, AuditService } from './audit/audit.service.js';
import { AUDIT_LOG, AuditTrail } from './audit/audit-trail.service.js';
import type { AggregatorAuditLog } from './audit/audit-writer.js';
import { AggregatorConfig } from './config.js';
import { LOGGER } from './common/logger.provider.js';
import { AGGREGATOR_METRICS } from './common/metrics.provider.js';
import { DATABASE } from './database/database.providers.js';
import { FederationController } from './federation/federation.controller.js';
import { FederationService } from './federation/federation.service.js';
import { SiloRepository } from './federation/silo.repository.js';
import { SiloSessions } from './federation/silo-sessions.service.js';
import { JobEvents } from './jobs/job-events.service.js';
import { JobRepository } from './jobs/job.repository.js';
import { JobsController } from './jobs/jobs.controller.js';
import { JobsService } from './jobs/jobs.service.js';
import { MetricsRecorder } from './metrics/metrics-recorder.service.js';
import { ActiveRounds } from './rounds/active-rounds.service.js';
import { JobRunner } from './rounds/job-runner.service.js';
import { JobLeases } from './leases/job-leases.service.js';
import { LeaseRepository } from './leases/lease.repository.js';
import { RelayRepository } from './relay/relay.repository.js';
import { SiloRelay } from './relay/silo-relay.service.js';
import { SiloRouting } from './relay/silo-routing.service.js';
import { DatabaseHealth } from './database/database-health.service.js';
import { SecAggRounds } from './secagg/secagg-rounds.service.js';
import { SecAggService } from './secagg/secagg.service.js';
import { ModelRepository } from './rounds/model.repository.js';
import { RoundRepository } from './rounds/round.repository.js';
import { EnclaveHost } from './enclave/enclave-host.service.js';
import { EnrolmentService } from './federation/enrolment.service.js';
import { AgentAttestation } from './trust/agent-attestation.service.js';
import { GatewayGuard } from './trust/gateway-guard.js';
import { SiloGuard } from './trust/silo-guard.service.js';
import { TRUST, type AggregatorTrust } from './trust/trust.provider.js';

@Module({})
export class AggregatorModule implements OnApplicationShutdown {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    private readonly sessions: SiloSessions,
    private readonly enclave: EnclaveHost,
    @Inject(AUDIT_LOG) private readonly audit: AuditLog,
  ) {}

  /** The database is opened (and migrated) before the module, so no provider ever sees a half-ready schema. */
  static register(
    config: AggregatorConfig,
    db: Database,
    log: Logger,
    trust: AggregatorTrust,
    enclave: EnclaveHost,
    audit: AggregatorAuditLog,
    metrics: AggregatorMetrics,
  ): DynamicModule {
    return {
      module: AggregatorModule,
      controllers: [FederationController, JobsController],
      providers: [
        { provide: AggregatorConfig, useValue: config },
        { provide: DATABASE, useValue: db },
        { provide: LOGGER, useValue: log },
        { provide: TRUST, useValue: trust },
        { provide: EnclaveHost, useValue: enclave },
        { provide: AUDIT_LOG, useValue: audit.log },
        { provide: AUDIT_STORE, useValue: new PostgresAuditStore(db) },
        { provide: AUDIT_PUBLIC_KEYS, useValue: [audit.publicKey] },
        { provide: AGGREGATOR_METRICS, useValue: metrics },
        MetricsRecorder,
        AuditTrail,
        AuditService,
        SiloGuard,
        GatewayGuard,
        AgentAttestation,
        EnrolmentService,
        SiloSessions,
        SiloRepository,
        FederationService,
        JobRepository,
        JobsService,
        JobEvents,
        ActiveRounds,
        JobRunner,
        JobLeases,
        LeaseRepository,
        RelayRepository,
        SiloRelay,
        SiloRouting,
        DatabaseHealth,
        ModelRepository,
        RoundRepository,
        SecAggRounds,
        SecAggService,
      ],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    this.sessions.closeAll();
    await this.audit.close().catch(() => undefined);
    await this.enclave.stop();
    await this.db.close();
  }
}

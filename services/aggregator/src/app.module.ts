import { Module, type DynamicModule, type OnApplicationShutdown, Inject } from '@nestjs/common';
import type { Database } from '@cohort/storage';
import type { Logger } from 'pino';
import { AggregatorConfig } from './config.js';
import { LOGGER } from './common/logger.provider.js';
import { DATABASE } from './database/database.providers.js';
import { FederationController } from './federation/federation.controller.js';
import { FederationService } from './federation/federation.service.js';
import { SiloRepository } from './federation/silo.repository.js';
import { SiloSessions } from './federation/silo-sessions.service.js';
import { JobEvents } from './jobs/job-events.service.js';
import { JobRepository } from './jobs/job.repository.js';
import { JobsController } from './jobs/jobs.controller.js';
import { JobsService } from './jobs/jobs.service.js';
import { ActiveRounds } from './rounds/active-rounds.service.js';
import { JobRunner } from './rounds/job-runner.service.js';
import { ModelRepository } from './rounds/model.repository.js';
import { RoundRepository } from './rounds/round.repository.js';

@Module({})
export class AggregatorModule implements OnApplicationShutdown {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    private readonly sessions: SiloSessions,
  ) {}

  /** The database is opened (and migrated) before the module, so no provider ever sees a half-ready schema. */
  static register(config: AggregatorConfig, db: Database, log: Logger): DynamicModule {
    return {
      module: AggregatorModule,
      controllers: [FederationController, JobsController],
      providers: [
        { provide: AggregatorConfig, useValue: config },
        { provide: DATABASE, useValue: db },
        { provide: LOGGER, useValue: log },
        SiloSessions,
        SiloRepository,
        FederationService,
        JobRepository,
        JobsService,
        JobEvents,
        ActiveRounds,
        JobRunner,
        ModelRepository,
        RoundRepository,
      ],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    this.sessions.closeAll();
    await this.db.close();
  }
}

import { Module, type DynamicModule } from '@nestjs/common';
import type { ClientGrpcProxy } from '@nestjs/microservices';
import type { FederationServiceClient } from '@cohort/protocol';
import type { Logger } from 'pino';
import { SiloConfig } from './config.js';
import { DatasetsService } from './datasets.service.js';
import { FEDERATION_CLIENT } from './federation-client.js';
import { LOGGER } from './logger.provider.js';
import { PolicyService } from './policy.service.js';
import { SessionService } from './session.service.js';
import { TaskHandler } from './task-handler.service.js';

@Module({})
export class SiloAgentModule {
  static register(
    config: SiloConfig,
    client: FederationServiceClient,
    proxy: ClientGrpcProxy,
    log: Logger,
  ): DynamicModule {
    return {
      module: SiloAgentModule,
      providers: [
        { provide: SiloConfig, useValue: config },
        { provide: FEDERATION_CLIENT, useValue: client },
        { provide: 'FEDERATION_PROXY', useValue: proxy },
        { provide: LOGGER, useValue: log },
        DatasetsService,
        PolicyService,
        TaskHandler,
        SessionService,
      ],
    };
  }
}

import { Module, type DynamicModule } from '@nestjs/common';
import type { FederationServiceClient } from '@cohort/protocol';
import type { SiloIdentity } from '@cohort/identity';
import type { Logger } from 'pino';
import type { SiloMetrics } from '@cohort/observability';
import { ApprovalsService } from './approvals.service.js';
import { LocalAudit } from './audit/local-audit.service.js';
import { SiloConfig } from './config.js';
import { DatasetsService } from './datasets.service.js';
import { FEDERATION_CLIENT } from './federation-client.js';
import { SILO_IDENTITY } from './identity.provider.js';
import { LOGGER } from './logger.provider.js';
import { SILO_METRICS } from './metrics.provider.js';
import { PolicyService } from './policy.service.js';
import { SessionService } from './session.service.js';
import { TaskHandler } from './task-handler.service.js';
import { SecAggParticipant } from './secagg/secagg-participant.service.js';
import { AGENT_TOKENS } from './trust/agent-token.js';
import type { AgentTokens } from './trust/agent-token.js';
import { ENCLAVE_POLICY, EnclaveTrust, type EnclavePolicy } from './trust/enclave-trust.service.js';

export interface SiloDependencies {
  config: SiloConfig;
  client: FederationServiceClient;
  identity: SiloIdentity;
  tokens: AgentTokens;
  enclavePolicy: EnclavePolicy;
  log: Logger;
  metrics: SiloMetrics;
}

@Module({})
export class SiloAgentModule {
  static register(d: SiloDependencies): DynamicModule {
    return {
      module: SiloAgentModule,
      providers: [
        { provide: SiloConfig, useValue: d.config },
        { provide: FEDERATION_CLIENT, useValue: d.client },
        { provide: SILO_IDENTITY, useValue: d.identity },
        { provide: AGENT_TOKENS, useValue: d.tokens },
        { provide: ENCLAVE_POLICY, useValue: d.enclavePolicy },
        { provide: LOGGER, useValue: d.log },
        { provide: SILO_METRICS, useValue: d.metrics },
        DatasetsService,
        PolicyService,
        ApprovalsService,
        EnclaveTrust,
        TaskHandler,
        SecAggParticipant,
        SessionService,
        LocalAudit,
      ],
    };
  }
}

import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { AggregatorErrorCode, AggregatorException } from '../common/aggregator.exception.js';
import { AuditTrail } from '../audit/audit-trail.service.js';
import { LOGGER } from '../common/logger.provider.js';
import { AggregatorConfig } from '../config.js';
import { peerCommonName, type CallLike } from './peer.js';

/** The JobsService answers only callers holding a gateway certificate from the federation's CA. */
@Injectable()
export class GatewayGuard {
  constructor(
    private readonly config: AggregatorConfig,
    @Inject(LOGGER) private readonly log: Logger,
    private readonly audit: AuditTrail,
  ) {}

  async run<T>(call: CallLike, action: () => Promise<T>): Promise<T> {
    if (this.config.tls) {
      const cn = peerCommonName(call);
      if (!cn || !this.config.gatewayNames.includes(cn)) {
        this.log.warn({ audit: true, caller: cn ?? '(no certificate)' }, 'jobs service call refused');
        await this.audit.recordRefusal(`peer:${cn ?? '(no certificate)'}`, 'auth.refused', 'service:jobs', {
          code: AggregatorErrorCode.CALLER_NOT_ALLOWED,
        });
        throw new AggregatorException(
          AggregatorErrorCode.CALLER_NOT_ALLOWED,
          `the jobs service answers only the gateway's certificate${cn ? `, not "${cn}"` : ''}`,
        );
      }
    }
    return action();
  }
}

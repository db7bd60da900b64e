import { Controller, Get, VERSION_NEUTRAL } from '@nestjs/common';

/** Liveness only: it does not call the aggregator, so an orchestrator does not restart the gateway for its outage. */
@Controller({ version: VERSION_NEUTRAL })
export class HealthController {
  @Get('healthz')
  health(): { status: 'ok' } {
    return { status: 'ok' };
  }
}

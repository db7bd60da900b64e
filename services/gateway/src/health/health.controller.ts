import { ApiTags } from '@nestjs/swagger';
import { Controller, Get, VERSION_NEUTRAL } from '@nestjs/common';
import { Public } from '../auth/auth.decorators.js';

/** Liveness only: it does not call the aggregator, so an orchestrator does not restart the gateway for its outage. */
@ApiTags('health')
@Controller({ version: VERSION_NEUTRAL })
@Public()
export class HealthController {
  @Get('healthz')
  health(): { status: 'ok' } {
    return { status: 'ok' };
  }
}

import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Controller, Get, Header, HttpCode, HttpStatus, Param, Post } from '@nestjs/common';
import { RequirePermission } from '../auth/auth.decorators.js';
import { JsonBody } from '../common/json-body.decorator.js';
import { Principal } from '../common/principal.decorator.js';
import { SiloService } from './silo.service.js';
import type { SiloInvitationView, SiloListView, SiloView } from './silo-view.js';

@ApiTags('silos')
@ApiBearerAuth()
@Controller({ path: 'silos', version: '1' })
export class SiloController {
  constructor(private readonly silos: SiloService) {}

  @Get()
  @RequirePermission('silo.list')
  list(): Promise<SiloListView> {
    return this.silos.list();
  }

  /** Site admin: a one-time, expiring join token for a named silo. */
  @Post('invitations')
  @RequirePermission('silo.invite')
  // The answer carries a secret shown once: no proxy or browser cache may keep a copy of it.
  @Header('Cache-Control', 'no-store')
  invite(@JsonBody() body: unknown, @Principal() principal: string): Promise<SiloInvitationView> {
    return this.silos.invite(body, principal);
  }

  /** Site admin: the silo is refused from its next message on. */
  @Post(':name/revoke')
  @RequirePermission('silo.revoke')
  @HttpCode(HttpStatus.OK)
  revoke(
    @Param('name') name: string,
    @JsonBody({ optional: true }) body: unknown,
    @Principal() principal: string,
  ): Promise<SiloView> {
    return this.silos.revoke(name, body, principal);
  }
}

import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Controller, Get, Header } from '@nestjs/common';
import { permissionsOf, type Principal as SignedIn } from '@cohort/auth';
import { CurrentPrincipal } from '../common/principal.decorator.js';

export interface MeView {
  subject: string;
  name: string;
  roles: string[];
  permissions: string[];
  expiresAt: string;
}

/** Who the token says the caller is, and what they may do: for `cohort login` and the dashboard's menus. */
@ApiTags('me')
@ApiBearerAuth()
@Controller({ path: 'me', version: '1' })
export class MeController {
  @Get()
  @Header('Cache-Control', 'no-store')
  me(@CurrentPrincipal() principal: SignedIn): MeView {
    return {
      subject: principal.subject,
      name: principal.name,
      roles: [...principal.roles],
      permissions: permissionsOf(principal.roles),
      expiresAt: principal.expiresAt.toISOString(),
    };
  }
}

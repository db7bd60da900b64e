import { ApiTags } from '@nestjs/swagger';
import { Controller, Get, Header, Inject, NotFoundException, VERSION_NEUTRAL } from '@nestjs/common';
import type { DevIssuer, OpenIdConfiguration } from '@cohort/auth';
import type { JSONWebKeySet } from 'jose';
import { Public } from './auth.decorators.js';
import { DEV_ISSUER } from './auth.tokens.js';

/** The development issuer's discovery document and public keys, so any OIDC client can verify its tokens. */
@ApiTags('sign-in')
@Controller({ path: 'dev-issuer', version: VERSION_NEUTRAL })
@Public()
export class DevIssuerController {
  constructor(@Inject(DEV_ISSUER) private readonly issuer: DevIssuer | null) {}

  @Get('.well-known/openid-configuration')
  @Header('Cache-Control', 'no-store')
  discovery(): OpenIdConfiguration {
    return this.require().openIdConfiguration();
  }

  @Get('jwks.json')
  @Header('Cache-Control', 'no-store')
  jwks(): JSONWebKeySet {
    return this.require().jwks();
  }

  private require(): DevIssuer {
    if (!this.issuer)
      throw new NotFoundException('this gateway uses an OpenID Connect provider, not the development issuer');
    return this.issuer;
  }
}

import { Global, Module, type DynamicModule } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { createTokenVerifier, DEFAULT_DEV_ISSUER_URL, DevIssuer } from '@cohort/auth';
import type { Logger } from 'pino';
import { AggregatorModule } from '../aggregator/aggregator.module.js';
import type { GatewayConfig } from '../config.js';
import { AuthGuard } from './auth.guard.js';
import { DEV_ISSUER, TOKEN_VERIFIER } from './auth.tokens.js';
import { DevIssuerController } from './dev-issuer.controller.js';
import { MeController } from './me.controller.js';

/** Bearer-token sign-in for every route: the configured OpenID Connect provider, or the development issuer. */
@Global()
@Module({})
export class AuthModule {
  static async register(config: GatewayConfig, log: Logger): Promise<DynamicModule> {
    const auth = config.auth;
    let issuer: DevIssuer | null = null;
    let verifier;
    if (auth.mode === 'dev') {
      issuer = await DevIssuer.create({ issuer: DEFAULT_DEV_ISSUER_URL, keyDir: auth.keyDir });
      verifier = createTokenVerifier({ issuer: issuer.issuer, audience: auth.audience, jwks: issuer.jwks() });
      log.warn(
        { keyDir: auth.keyDir ?? '(in memory)', issuer: issuer.issuer },
        'DEVELOPMENT SIGN-IN: tokens come from the built-in issuer (`cohort dev token`); configure an OpenID Connect provider for real use',
      );
    } else {
      verifier = createTokenVerifier({
        issuer: auth.issuer,
        audience: auth.audience,
        jwksUri: auth.jwksUri,
        roleClaim: auth.roleClaim,
        usernameClaim: auth.usernameClaim,
        clockToleranceSeconds: auth.clockToleranceSeconds,
        rejectDevTokens: true,
      });
    }
    return {
      module: AuthModule,
      imports: [AggregatorModule],
      controllers: [DevIssuerController, MeController],
      providers: [
        { provide: TOKEN_VERIFIER, useValue: verifier },
        { provide: DEV_ISSUER, useValue: issuer },
        { provide: APP_GUARD, useClass: AuthGuard },
      ],
      exports: [TOKEN_VERIFIER, DEV_ISSUER],
    };
  }
}

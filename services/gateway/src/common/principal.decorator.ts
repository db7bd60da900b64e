import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Principal as SignedInPrincipal } from '@cohort/auth';
import type { AuthenticatedRequest } from '../auth/auth.guard.js';
import { GatewayErrorCode, GatewayException } from './gateway.exception.js';

function principalOf(ctx: ExecutionContext): SignedInPrincipal {
  const principal = ctx.switchToHttp().getRequest<AuthenticatedRequest>().principal;
  // The guard sets it on every non-public route; a public route asking for it is a programming error.
  if (!principal)
    throw new GatewayException(GatewayErrorCode.UNAUTHENTICATED, 'sign in first (no bearer token)');
  return principal;
}

/** The signed-in principal's subject (the token's `sub`): what the aggregator records as submittedBy / requestedBy. */
export const Principal = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext): string => principalOf(ctx).subject,
);

/** The whole signed-in principal (subject, name, roles), for ownership and role checks in services. */
export const CurrentPrincipal = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext): SignedInPrincipal => principalOf(ctx),
);

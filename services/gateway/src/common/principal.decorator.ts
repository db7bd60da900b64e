import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { GatewayErrorCode, GatewayException } from './gateway.exception.js';

/** The principal every request acts as until authentication exists. */
export const DEFAULT_PRINCIPAL = 'researcher';
export const PRINCIPAL_HEADER = 'x-cohort-user';

const PRINCIPAL_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$/;

/**
 * Who is asking, as recorded by the aggregator's audit trail (submittedBy, requestedBy).
 * NOT authentication: the header is taken on trust. This is the one place to replace when authentication lands.
 */
export function resolvePrincipal(header: string | string[] | undefined): string {
  if (header === undefined) return DEFAULT_PRINCIPAL;
  const value = Array.isArray(header) ? header : [header];
  if (value.length !== 1 || !PRINCIPAL_PATTERN.test(value[0])) {
    throw new GatewayException(GatewayErrorCode.REQUEST_INVALID, 'invalid X-Cohort-User header', [
      {
        field: 'X-Cohort-User',
        message:
          'must be one name of 1 to 128 letters, digits, ".", "_", "@" or "-", starting with a letter or digit',
      },
    ]);
  }
  return value[0];
}

/** Injects the requesting principal into a controller method. */
export const Principal = createParamDecorator((_data: unknown, ctx: ExecutionContext): string =>
  resolvePrincipal(ctx.switchToHttp().getRequest<Request>().headers[PRINCIPAL_HEADER]),
);

import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { GatewayErrorCode, GatewayException } from './gateway.exception.js';

/**
 * The parsed JSON body, refusing other media types: without this a text/plain body would arrive empty and the
 * caller would read "name is required" instead of being told to send JSON. `{ optional: true }` allows no body.
 */
export const JsonBody = createParamDecorator(
  (options: { optional?: boolean } | undefined, ctx: ExecutionContext) => {
    const request = ctx.switchToHttp().getRequest<Request>();
    const hasBody =
      (request.headers['content-length'] ?? '0') !== '0' ||
      request.headers['transfer-encoding'] !== undefined;
    if (!hasBody && options?.optional) return undefined;
    if (!request.is('application/json')) {
      throw new GatewayException(
        GatewayErrorCode.UNSUPPORTED_MEDIA_TYPE,
        'send the request body as JSON with Content-Type: application/json',
      );
    }
    return request.body as unknown;
  },
);

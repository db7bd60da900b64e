import {
  Catch,
  HttpException,
  HttpStatus,
  Inject,
  type ArgumentsHost,
  type ExceptionFilter,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { GatewayErrorCode, GatewayException, type ErrorBody } from './gateway.exception.js';
import { LOGGER } from './tokens.js';

/** What body-parser (http-errors) attaches to the errors Nest wraps into HttpException. */
interface ParserError {
  type?: unknown;
  limit?: unknown;
  message?: unknown;
}

const CODE_OF_STATUS: Partial<Record<number, GatewayErrorCode>> = {
  [HttpStatus.BAD_REQUEST]: GatewayErrorCode.REQUEST_INVALID,
  [HttpStatus.UNAUTHORIZED]: GatewayErrorCode.UNAUTHENTICATED,
  [HttpStatus.FORBIDDEN]: GatewayErrorCode.FORBIDDEN,
  [HttpStatus.NOT_FOUND]: GatewayErrorCode.ROUTE_NOT_FOUND,
  [HttpStatus.CONFLICT]: GatewayErrorCode.CONFLICT,
  [HttpStatus.PAYLOAD_TOO_LARGE]: GatewayErrorCode.PAYLOAD_TOO_LARGE,
  [HttpStatus.UNSUPPORTED_MEDIA_TYPE]: GatewayErrorCode.UNSUPPORTED_MEDIA_TYPE,
  [HttpStatus.TOO_MANY_REQUESTS]: GatewayErrorCode.RESOURCE_EXHAUSTED,
};

function parserErrorOf(exception: HttpException): ParserError | undefined {
  const cause: unknown = exception.cause;
  return typeof cause === 'object' && cause !== null ? cause : undefined;
}

/**
 * Translates framework errors (body-parser failures, unknown routes) into gateway exceptions so that every error
 * leaving the gateway has the same JSON shape and a stable code.
 */
export function fromHttpException(exception: HttpException, request: Request): GatewayException {
  const status: number = exception.getStatus();
  const cause = parserErrorOf(exception);
  switch (cause?.type) {
    case 'entity.too.large':
      return new GatewayException(
        GatewayErrorCode.PAYLOAD_TOO_LARGE,
        `the request body is larger than the ${typeof cause.limit === 'number' ? `${cause.limit}-byte ` : ''}limit`,
      );
    case 'entity.parse.failed':
      return new GatewayException(
        GatewayErrorCode.BODY_NOT_JSON,
        `the request body is not valid JSON${typeof cause.message === 'string' ? `: ${cause.message}` : ''}`,
      );
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new GatewayException(GatewayErrorCode.UNSUPPORTED_MEDIA_TYPE, exception.message);
  }
  if (status === Number(HttpStatus.NOT_FOUND)) {
    return new GatewayException(
      GatewayErrorCode.ROUTE_NOT_FOUND,
      `no route for ${request.method} ${request.path}; the API lives under /v1`,
    );
  }
  const code =
    CODE_OF_STATUS[status] ?? (status >= 500 ? GatewayErrorCode.INTERNAL : GatewayErrorCode.REQUEST_INVALID);
  return new GatewayException(code, exception.message);
}

/** The one HTTP edge: every exception becomes `{ error: { code, message, details } }` with its status. */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  constructor(@Inject(LOGGER) private readonly log: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<Request>();
    const response = http.getResponse<Response>();

    // The id the request log line carries (set by the request logger), so both lines can be joined.
    const requestId: unknown = response.locals?.requestId;
    let error: GatewayException;
    if (exception instanceof GatewayException) {
      error = exception;
    } else if (exception instanceof HttpException) {
      error = fromHttpException(exception, request);
    } else {
      this.log.error(
        { err: exception, requestId, method: request.method, path: request.path },
        'unhandled error',
      );
      error = new GatewayException(GatewayErrorCode.INTERNAL, 'internal error in the gateway');
    }
    const status: number = error.httpStatus;
    if (status >= 500 && exception instanceof GatewayException) {
      this.log.warn(
        {
          requestId,
          code: error.publicCode,
          status,
          method: request.method,
          path: request.path,
          cause: exception.cause,
        },
        error.message,
      );
    }

    if (response.headersSent) {
      // A streamed response cannot change its status any more; cutting it short tells the client it failed.
      response.destroy();
      return;
    }
    const body: ErrorBody = {
      error: { code: error.publicCode, message: error.message, details: [...error.details] },
    };
    response.status(status).json(body);
  }
}

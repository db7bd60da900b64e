import { HttpStatus } from '@nestjs/common';

/** Stable codes: researchers' scripts branch on these, never on message text. */
export enum GatewayErrorCode {
  JOB_SPEC_INVALID = 'JOB_SPEC_INVALID',
  REQUEST_INVALID = 'REQUEST_INVALID',
  BODY_NOT_JSON = 'BODY_NOT_JSON',
  UNSUPPORTED_MEDIA_TYPE = 'UNSUPPORTED_MEDIA_TYPE',
  PAYLOAD_TOO_LARGE = 'PAYLOAD_TOO_LARGE',
  ROUTE_NOT_FOUND = 'ROUTE_NOT_FOUND',
  NOT_FOUND = 'NOT_FOUND',
  JOB_NOT_FOUND = 'JOB_NOT_FOUND',
  SILO_UNKNOWN = 'SILO_UNKNOWN',
  CONFLICT = 'CONFLICT',
  UNAUTHENTICATED = 'UNAUTHENTICATED',
  AUTH_UNAVAILABLE = 'AUTH_UNAVAILABLE',
  FORBIDDEN = 'FORBIDDEN',
  RESOURCE_EXHAUSTED = 'RESOURCE_EXHAUSTED',
  NOT_IMPLEMENTED = 'NOT_IMPLEMENTED',
  MODEL_EXPORT_UNAVAILABLE = 'MODEL_EXPORT_UNAVAILABLE',
  MODEL_INVALID = 'MODEL_INVALID',
  AGGREGATOR_ERROR = 'AGGREGATOR_ERROR',
  AGGREGATOR_UNAVAILABLE = 'AGGREGATOR_UNAVAILABLE',
  AGGREGATOR_TIMEOUT = 'AGGREGATOR_TIMEOUT',
  INTERNAL = 'INTERNAL',
}

export const HTTP_STATUS_OF: Readonly<Record<GatewayErrorCode, HttpStatus>> = {
  JOB_SPEC_INVALID: HttpStatus.BAD_REQUEST,
  REQUEST_INVALID: HttpStatus.BAD_REQUEST,
  BODY_NOT_JSON: HttpStatus.BAD_REQUEST,
  UNSUPPORTED_MEDIA_TYPE: HttpStatus.UNSUPPORTED_MEDIA_TYPE,
  PAYLOAD_TOO_LARGE: HttpStatus.PAYLOAD_TOO_LARGE,
  ROUTE_NOT_FOUND: HttpStatus.NOT_FOUND,
  NOT_FOUND: HttpStatus.NOT_FOUND,
  JOB_NOT_FOUND: HttpStatus.NOT_FOUND,
  SILO_UNKNOWN: HttpStatus.NOT_FOUND,
  CONFLICT: HttpStatus.CONFLICT,
  UNAUTHENTICATED: HttpStatus.UNAUTHORIZED,
  // The identity provider cannot be reached: the caller may retry; their token was not judged.
  AUTH_UNAVAILABLE: HttpStatus.SERVICE_UNAVAILABLE,
  FORBIDDEN: HttpStatus.FORBIDDEN,
  RESOURCE_EXHAUSTED: HttpStatus.TOO_MANY_REQUESTS,
  NOT_IMPLEMENTED: HttpStatus.NOT_IMPLEMENTED,
  MODEL_EXPORT_UNAVAILABLE: HttpStatus.NOT_IMPLEMENTED,
  // The aggregator sent something the gateway cannot turn into a model: an upstream fault, not the caller's.
  MODEL_INVALID: HttpStatus.BAD_GATEWAY,
  AGGREGATOR_ERROR: HttpStatus.BAD_GATEWAY,
  AGGREGATOR_UNAVAILABLE: HttpStatus.SERVICE_UNAVAILABLE,
  AGGREGATOR_TIMEOUT: HttpStatus.GATEWAY_TIMEOUT,
  INTERNAL: HttpStatus.INTERNAL_SERVER_ERROR,
};

export interface FieldProblem {
  field: string;
  message: string;
}

/**
 * Every failure the gateway reports. `code` decides the HTTP status; `publicCode` is what the body carries when
 * it differs, so the aggregator's own stable code (JOB_NOT_FOUND, MODEL_NOT_RELEASED …) reaches the researcher.
 */
export class GatewayException extends Error {
  constructor(
    readonly code: GatewayErrorCode,
    message: string,
    readonly details: readonly FieldProblem[] = [],
    readonly publicCode: string = code,
  ) {
    super(message);
    this.name = 'GatewayException';
  }

  get httpStatus(): HttpStatus {
    return HTTP_STATUS_OF[this.code];
  }
}

/** The body of every error response. */
export interface ErrorBody {
  error: { code: string; message: string; details: FieldProblem[] };
}

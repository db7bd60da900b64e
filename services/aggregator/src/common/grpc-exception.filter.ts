import { Catch, type ArgumentsHost, type RpcExceptionFilter } from '@nestjs/common';
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { throwError, type Observable } from 'rxjs';
import type { Logger } from 'pino';
import { AggregatorException } from './aggregator.exception.js';

/** The gRPC edge: maps AggregatorException to a status with the stable code and field details in metadata. */
@Catch()
export class GrpcExceptionFilter implements RpcExceptionFilter<unknown> {
  constructor(private readonly log: Logger) {}

  catch(exception: unknown, _host: ArgumentsHost): Observable<never> {
    return throwError(() => toServiceError(exception, this.log));
  }
}

export function toServiceError(exception: unknown, log?: Logger): Partial<ServiceError> {
  const metadata = new Metadata();
  if (exception instanceof AggregatorException) {
    metadata.set('cohort-error-code', exception.code);
    if (exception.details.length > 0) metadata.set('cohort-error-details', JSON.stringify(exception.details));
    return { code: exception.grpcStatus, details: exception.message, message: exception.message, metadata };
  }
  const grpcLike = exception as Partial<ServiceError> | undefined;
  if (grpcLike && typeof grpcLike.code === 'number' && typeof grpcLike.details === 'string') return grpcLike;
  log?.error({ err: exception }, 'unexpected error in a gRPC handler');
  metadata.set('cohort-error-code', 'INTERNAL');
  return {
    code: status.INTERNAL,
    details: 'internal error in the aggregator',
    message: 'internal error',
    metadata,
  };
}

import { status, type Metadata } from '@grpc/grpc-js';
import { TimeoutError } from 'rxjs';
import { z } from 'zod';
import { GatewayErrorCode, GatewayException, type FieldProblem } from '../common/gateway.exception.js';

/** Metadata keys the aggregator's gRPC exception filter sets (services/aggregator, toServiceError). */
export const ERROR_CODE_METADATA = 'cohort-error-code';
export const ERROR_DETAILS_METADATA = 'cohort-error-details';

const GATEWAY_CODE_OF_STATUS: Readonly<Record<number, GatewayErrorCode>> = {
  [status.INVALID_ARGUMENT]: GatewayErrorCode.REQUEST_INVALID,
  [status.OUT_OF_RANGE]: GatewayErrorCode.REQUEST_INVALID,
  [status.NOT_FOUND]: GatewayErrorCode.NOT_FOUND,
  [status.ALREADY_EXISTS]: GatewayErrorCode.CONFLICT,
  [status.FAILED_PRECONDITION]: GatewayErrorCode.CONFLICT,
  [status.ABORTED]: GatewayErrorCode.CONFLICT,
  [status.UNAUTHENTICATED]: GatewayErrorCode.UNAUTHENTICATED,
  [status.PERMISSION_DENIED]: GatewayErrorCode.FORBIDDEN,
  [status.RESOURCE_EXHAUSTED]: GatewayErrorCode.RESOURCE_EXHAUSTED,
  [status.UNIMPLEMENTED]: GatewayErrorCode.NOT_IMPLEMENTED,
  [status.UNAVAILABLE]: GatewayErrorCode.AGGREGATOR_UNAVAILABLE,
  [status.CANCELLED]: GatewayErrorCode.AGGREGATOR_UNAVAILABLE,
  [status.DEADLINE_EXCEEDED]: GatewayErrorCode.AGGREGATOR_TIMEOUT,
  [status.INTERNAL]: GatewayErrorCode.AGGREGATOR_ERROR,
  [status.UNKNOWN]: GatewayErrorCode.AGGREGATOR_ERROR,
  [status.DATA_LOSS]: GatewayErrorCode.AGGREGATOR_ERROR,
};

const fieldProblems = z.array(z.object({ field: z.string(), message: z.string() }));

interface GrpcErrorLike {
  code: number;
  details?: unknown;
  metadata?: Metadata;
}

function isGrpcError(err: unknown): err is GrpcErrorLike {
  return typeof err === 'object' && err !== null && typeof (err as { code?: unknown }).code === 'number';
}

function firstString(metadata: Metadata | undefined, key: string): string | undefined {
  const value = metadata?.get(key)[0];
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value : value.toString('utf8');
}

/** Field details the aggregator attached; a malformed value is dropped rather than shown half-parsed. */
function detailsOf(metadata: Metadata | undefined): FieldProblem[] {
  const raw = firstString(metadata, ERROR_DETAILS_METADATA);
  if (raw === undefined) return [];
  try {
    const parsed = fieldProblems.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : [];
  } catch {
    return [];
  }
}

export interface CallContext {
  /** What the gateway was doing, for messages: "submit the job". */
  action: string;
  /** The code a NOT_FOUND without an aggregator code stands for (JOB_NOT_FOUND for calls about one job). */
  notFound?: { code: GatewayErrorCode; message: string };
  timeoutMs: number;
}

/**
 * Maps a failed call to the aggregator onto a gateway exception: the gRPC status picks the HTTP status, the
 * aggregator's own code and field details pass through when it sent them. Anything else is rethrown as is.
 */
export function fromAggregatorError(err: unknown, context: CallContext): unknown {
  if (err instanceof GatewayException) return err;
  if (err instanceof TimeoutError) {
    return new GatewayException(
      GatewayErrorCode.AGGREGATOR_TIMEOUT,
      `the aggregator did not answer within ${context.timeoutMs} ms while trying to ${context.action}; try again later`,
    );
  }
  if (!isGrpcError(err)) return err;

  const upstreamCode = firstString(err.metadata, ERROR_CODE_METADATA);
  const details = detailsOf(err.metadata);
  const upstreamMessage = typeof err.details === 'string' && err.details.length > 0 ? err.details : undefined;
  const code = GATEWAY_CODE_OF_STATUS[err.code] ?? GatewayErrorCode.AGGREGATOR_ERROR;

  if (upstreamCode === undefined) {
    // Without the aggregator's code the status came from the transport (or an unprepared handler): its text is
    // about sockets, not about the researcher's request, so the gateway says what it means instead.
    if (code === GatewayErrorCode.AGGREGATOR_UNAVAILABLE) {
      return new GatewayException(
        code,
        `the aggregator is unreachable, so the gateway could not ${context.action}; try again later`,
      );
    }
    if (code === GatewayErrorCode.AGGREGATOR_TIMEOUT) {
      return new GatewayException(code, `the aggregator timed out while trying to ${context.action}`);
    }
    if (code === GatewayErrorCode.AGGREGATOR_ERROR) {
      return new GatewayException(code, `the aggregator failed to ${context.action}`);
    }
    if (code === GatewayErrorCode.NOT_FOUND && context.notFound) {
      return new GatewayException(
        context.notFound.code,
        upstreamMessage ?? context.notFound.message,
        details,
      );
    }
  }
  return new GatewayException(
    code,
    upstreamMessage ?? `the aggregator refused to ${context.action}`,
    details,
    upstreamCode ?? code,
  );
}

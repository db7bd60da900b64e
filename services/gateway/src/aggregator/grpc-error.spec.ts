import { Metadata, status } from '@grpc/grpc-js';
import { TimeoutError } from 'rxjs';
import { GatewayErrorCode, GatewayException } from '../common/gateway.exception.js';
import { fromAggregatorError, type CallContext } from './grpc-error.js';

const context: CallContext = {
  action: 'read job j1',
  notFound: { code: GatewayErrorCode.JOB_NOT_FOUND, message: 'job j1 not found' },
  timeoutMs: 1000,
};

function grpcError(code: status, details: string, meta: Record<string, string> = {}) {
  const metadata = new Metadata();
  for (const [k, v] of Object.entries(meta)) metadata.set(k, v);
  return Object.assign(new Error(details), { code, details, metadata });
}

function mapped(err: unknown, ctx: CallContext = context): GatewayException {
  const result = fromAggregatorError(err, ctx);
  expect(result).toBeInstanceOf(GatewayException);
  return result as GatewayException;
}

describe('fromAggregatorError', () => {
  it.each([
    [status.INVALID_ARGUMENT, 400],
    [status.OUT_OF_RANGE, 400],
    [status.NOT_FOUND, 404],
    [status.ALREADY_EXISTS, 409],
    [status.FAILED_PRECONDITION, 409],
    [status.ABORTED, 409],
    [status.UNAUTHENTICATED, 401],
    [status.PERMISSION_DENIED, 403],
    [status.RESOURCE_EXHAUSTED, 429],
    [status.UNIMPLEMENTED, 501],
    [status.UNAVAILABLE, 503],
    [status.DEADLINE_EXCEEDED, 504],
    [status.INTERNAL, 502],
    [status.UNKNOWN, 502],
  ])('maps gRPC status %i to HTTP %i', (code, http) => {
    expect(mapped(grpcError(code, 'x', { 'cohort-error-code': 'SOME_CODE' })).httpStatus).toBe(http);
  });

  it("passes the aggregator's code, message and field details", () => {
    const err = mapped(
      grpcError(status.INVALID_ARGUMENT, 'quorum too high', {
        'cohort-error-code': 'JOB_SPEC_INVALID',
        'cohort-error-details': JSON.stringify([
          { field: 'minSilos', message: 'quorum 5 is above the 4 silos' },
        ]),
      }),
    );
    expect(err.publicCode).toBe('JOB_SPEC_INVALID');
    expect(err.message).toBe('quorum too high');
    expect(err.details).toEqual([{ field: 'minSilos', message: 'quorum 5 is above the 4 silos' }]);
  });

  it('drops field details that are not a list of {field, message}', () => {
    const err = mapped(
      grpcError(status.INVALID_ARGUMENT, 'bad', {
        'cohort-error-code': 'X',
        'cohort-error-details': '{not json',
      }),
    );
    expect(err.details).toEqual([]);
  });

  it('says the aggregator is unreachable for a transport UNAVAILABLE, hiding socket text', () => {
    const err = mapped(grpcError(status.UNAVAILABLE, 'No connection established. Last error: ECONNREFUSED'));
    expect(err.publicCode).toBe('AGGREGATOR_UNAVAILABLE');
    expect(err.message).toBe(
      'the aggregator is unreachable, so the gateway could not read job j1; try again later',
    );
  });

  it('keeps a deliberate UNAVAILABLE from the aggregator as it was sent', () => {
    const err = mapped(grpcError(status.UNAVAILABLE, 'shutting down', { 'cohort-error-code': 'DRAINING' }));
    expect(err.publicCode).toBe('DRAINING');
    expect(err.message).toBe('shutting down');
  });

  it('turns a bare NOT_FOUND about one job into JOB_NOT_FOUND', () => {
    const err = mapped(grpcError(status.NOT_FOUND, ''));
    expect(err.publicCode).toBe('JOB_NOT_FOUND');
    expect(err.message).toBe('job j1 not found');
  });

  it('hides the text of an internal aggregator failure without a code', () => {
    const err = mapped(grpcError(status.INTERNAL, 'TypeError: x is undefined at foo.ts:12'));
    expect(err.httpStatus).toBe(502);
    expect(err.message).toBe('the aggregator failed to read job j1');
  });

  it('reports a timeout as 504', () => {
    const err = mapped(new TimeoutError());
    expect(err.code).toBe(GatewayErrorCode.AGGREGATOR_TIMEOUT);
    expect(err.message).toContain('1000 ms');
  });

  it('leaves errors that are not from gRPC alone', () => {
    const plain = new Error('bug');
    expect(fromAggregatorError(plain, context)).toBe(plain);
  });
});

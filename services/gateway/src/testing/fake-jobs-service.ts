// A stand-in for the aggregator's JobsService, served by grpc-js on loopback, for the gateway's tests: the gateway
// is exercised over real gRPC against the same .proto contract, without the aggregator or its database.
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import {
  COHORT_V1_PACKAGE_NAME,
  JOBS_SERVICE_NAME,
  PROTO_FILES,
  PROTO_LOADER_OPTIONS,
  type JobsServiceController,
} from '@cohort/protocol';
import { isObservable, lastValueFrom, type Observable } from 'rxjs';

/** An error the fake answers with, shaped like the aggregator's: status, message, code and field details. */
export class FakeGrpcError extends Error {
  constructor(
    readonly code: grpc.status,
    readonly details: string,
    readonly errorCode?: string,
    readonly fieldDetails?: { field: string; message: string }[],
  ) {
    super(details);
  }

  toServiceError(): Partial<grpc.ServiceError> {
    const metadata = new grpc.Metadata();
    if (this.errorCode) metadata.set('cohort-error-code', this.errorCode);
    if (this.fieldDetails) metadata.set('cohort-error-details', JSON.stringify(this.fieldDetails));
    return { code: this.code, details: this.details, metadata };
  }
}

function toServiceError(err: unknown): Partial<grpc.ServiceError> {
  if (err instanceof FakeGrpcError) return err.toServiceError();
  return { code: grpc.status.INTERNAL, details: err instanceof Error ? err.message : String(err) };
}

type Handler = (request: unknown) => unknown;

async function settle(run: () => unknown): Promise<unknown> {
  const value = run();
  return isObservable(value) ? lastValueFrom(value) : await value;
}

function handlersFor(
  service: grpc.ServiceDefinition,
  impl: JobsServiceController,
): grpc.UntypedServiceImplementation {
  const methods = impl as unknown as Record<string, Handler>;
  const handlers: grpc.UntypedServiceImplementation = {};
  for (const [name, method] of Object.entries(service)) {
    // originalName is the camelCase name ts-proto uses for the controller method (submitJob for SubmitJob).
    const key = method.originalName ?? name;
    const fn = methods[key].bind(impl);
    if (method.responseStream) {
      handlers[name] = (call: grpc.ServerWritableStream<unknown, unknown>) => {
        let stream: Observable<unknown>;
        try {
          stream = fn(call.request) as Observable<unknown>;
        } catch (err) {
          call.emit('error', toServiceError(err));
          return;
        }
        const subscription = stream.subscribe({
          next: (value) => call.write(value),
          error: (err: unknown) => call.emit('error', toServiceError(err)),
          complete: () => call.end(),
        });
        call.on('cancelled', () => subscription.unsubscribe());
      };
    } else {
      handlers[name] = (
        call: grpc.ServerUnaryCall<unknown, unknown>,
        callback: grpc.sendUnaryData<unknown>,
      ) => {
        // A handler may throw synchronously (as a Nest controller may); that must become its gRPC status too.
        settle(() => fn(call.request)).then(
          (value) => callback(null, value),
          (err: unknown) => callback(toServiceError(err)),
        );
      };
    }
  }
  return handlers;
}

export interface FakeJobsServer {
  /** host:port to give the gateway as aggregatorUrl. */
  url: string;
  stop(): Promise<void>;
}

/** Serves `impl` as cohort.v1.JobsService on 127.0.0.1 with a free port. */
export async function startFakeJobsService(impl: JobsServiceController): Promise<FakeJobsServer> {
  const definition = protoLoader.loadSync(PROTO_FILES, PROTO_LOADER_OPTIONS);
  const service = definition[`${COHORT_V1_PACKAGE_NAME}.${JOBS_SERVICE_NAME}`] as grpc.ServiceDefinition;
  const server = new grpc.Server();
  server.addService(service, handlersFor(service, impl));
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, bound) =>
      err ? reject(err) : resolve(bound),
    ),
  );
  return {
    url: `127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.forceShutdown();
        resolve();
      }),
  };
}

// The gRPC wire encoding of the messages relayed between replicas through the database: the same protobuf
// (de)serialisers grpc-js uses for the FederationService, from the .proto files, so a relayed message is
// byte-for-byte what the silo sent and decodes to what Nest would have handed the handler.
import { loadSync, type MethodDefinition } from '@grpc/proto-loader';
import { PROTO_FILES, PROTO_LOADER_OPTIONS } from '@cohort/protocol';

export type RelayedMethod = 'Upload' | 'Decide' | 'ReportMetrics' | 'GetEnclaveAttestation';

type Definition = MethodDefinition<object, object>;

let service: Record<string, Definition> | undefined;

function method(name: RelayedMethod | 'Connect'): Definition {
  service ??= loadSync(PROTO_FILES, PROTO_LOADER_OPTIONS)['cohort.v1.FederationService'] as unknown as Record<
    string,
    Definition
  >;
  const m = service[name];
  if (!m) throw new Error(`cohort.v1.FederationService has no method ${name}`);
  return m;
}

export function encodeRequest(name: RelayedMethod, message: object): Buffer {
  return method(name).requestSerialize(message);
}

export function decodeRequest<T>(name: RelayedMethod, bytes: Buffer): T {
  return method(name).requestDeserialize(bytes) as T;
}

export function encodeResponse(name: RelayedMethod, message: object): Buffer {
  return method(name).responseSerialize(message);
}

export function decodeResponse<T>(name: RelayedMethod, bytes: Buffer): T {
  return method(name).responseDeserialize(bytes) as T;
}

/** A task as its Connect stream carries it. */
export function encodeTask(task: object): Buffer {
  return method('Connect').responseSerialize(task);
}

export function decodeTask<T>(bytes: Buffer): T {
  return method('Connect').responseDeserialize(bytes) as T;
}

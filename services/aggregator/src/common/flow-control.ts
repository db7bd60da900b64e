import { EventEmitter } from 'node:events';
import type { Http2Session } from 'node:http2';
import { ServerGrpc } from '@nestjs/microservices';

/**
 * Opens the HTTP/2 receive windows (the connection's and each stream's) of every session a grpc-js server accepts
 * from now on. grpc-js lets a client choose the window it receives in (`grpc-node.flow_control_window`) but leaves
 * a server at HTTP/2's 64 KiB, so a silo's 4 MB update needs 64 round trips, each waiting on the silo's event
 * loop: a silo busy training (or a hundred of them in one simulation) holds its upload, and the aggregator its
 * half-received payload, that much longer. grpc-js keeps its HTTP/2 servers in a private field: if a later version
 * moves it, this returns false and uploads still work, at HTTP/2's pace.
 */
export function widenReceiveWindows(grpcServer: unknown, windowBytes: number): boolean {
  const servers: unknown =
    typeof grpcServer === 'object' && grpcServer !== null
      ? Reflect.get(grpcServer, 'http2Servers')
      : undefined;
  if (!(servers instanceof Map) || servers.size === 0) return false;
  const http2Servers = [...servers.keys()] as unknown[];
  if (!http2Servers.every((s) => s instanceof EventEmitter)) return false;
  for (const s of http2Servers as EventEmitter[]) {
    s.on('session', (session: Http2Session) => {
      session.settings({ initialWindowSize: windowBytes });
      session.setLocalWindowSize(windowBytes);
    });
  }
  return true;
}

/** Nest's gRPC server, with the receive windows of its connections opened to `windowBytes` once it is bound. */
export class WideWindowGrpcServer extends ServerGrpc {
  /** Whether the windows could be opened (known once the server listens). */
  widened = false;

  constructor(
    options: ConstructorParameters<typeof ServerGrpc>[0],
    private readonly windowBytes: number,
  ) {
    super(options);
  }

  override async start(callback?: () => void): Promise<void> {
    // Bound, not yet serving: every silo's connection comes after this.
    const bound: unknown = this.grpcClient;
    this.widened = widenReceiveWindows(bound, this.windowBytes);
    await super.start(callback);
  }
}

import { connect, type ClientHttp2Session } from 'node:http2';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { widenReceiveWindows } from './flow-control.js';

const WINDOW = 8 * 1024 * 1024;

async function bound(): Promise<{ server: Server; port: number }> {
  const server = new Server();
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  return { server, port };
}

/** A raw HTTP/2 client's view of the windows the server granted it, once the server's first frames are in. */
async function grantedWindows(port: number): Promise<{ stream: number; connection: number }> {
  const client: ClientHttp2Session = connect(`http://127.0.0.1:${port}`);
  try {
    await new Promise<void>((resolve) => client.once('remoteSettings', () => resolve()));
    // The connection's WINDOW_UPDATE follows the server's SETTINGS; a ping answered means it has been read.
    await new Promise<void>((resolve, reject) => client.ping((err) => (err ? reject(err) : resolve())));
    return {
      stream: client.remoteSettings.initialWindowSize ?? 0,
      connection: client.state.remoteWindowSize ?? 0,
    };
  } finally {
    client.close();
  }
}

describe('widenReceiveWindows', () => {
  it("opens a grpc-js server's connection and stream windows to what it is given", async () => {
    const { server, port } = await bound();
    try {
      expect(widenReceiveWindows(server, WINDOW)).toBe(true);
      await expect(grantedWindows(port)).resolves.toEqual({ stream: WINDOW, connection: WINDOW });
    } finally {
      server.forceShutdown();
    }
  });

  it("leaves a server at HTTP/2's 64 KiB otherwise", async () => {
    const { server, port } = await bound();
    try {
      await expect(grantedWindows(port)).resolves.toEqual({ stream: 65_535, connection: 65_535 });
    } finally {
      server.forceShutdown();
    }
  });

  it('says so when it cannot find the HTTP/2 servers', () => {
    expect(widenReceiveWindows({}, WINDOW)).toBe(false);
    expect(widenReceiveWindows(undefined, WINDOW)).toBe(false);
  });
});

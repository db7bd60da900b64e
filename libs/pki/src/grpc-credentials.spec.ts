import * as grpc from '@grpc/grpc-js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { PkiError } from './errors.js';
import { channelCredentials, peerCommonName, serverCredentials } from './grpc-credentials.js';
import { createCertificateRequest, issueServerCertificate, signClientCertificate } from './issue.js';
import { type LocalCa, createLocalCa } from './local-ca.js';

// A hand-made Buffer echo service: no .proto needed to exercise the transport.
const ECHO_PATH = '/cohort.test.Echo/Echo';
const identity = (b: Buffer): Buffer => b;
const echoService: grpc.ServiceDefinition = {
  Echo: {
    path: ECHO_PATH,
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
};

interface Identity {
  certPem: string;
  keyPem: string;
}

async function clientIdentity(ca: LocalCa, name: string): Promise<Identity> {
  const { csrPem, keyPem } = await createCertificateRequest(name);
  return { certPem: await signClientCertificate(ca, csrPem, { commonName: name }), keyPem };
}

async function startServer(
  credentials: grpc.ServerCredentials,
  seen: (string | null)[],
): Promise<{ server: grpc.Server; port: number }> {
  const server = new grpc.Server();
  server.addService(echoService, {
    Echo: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
      const cn = peerCommonName(call);
      seen.push(cn);
      callback(null, Buffer.from(cn ?? '(no client certificate)'));
    },
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', credentials, (error, bound) => (error ? reject(error) : resolve(bound)));
  });
  return { server, port };
}

async function call(
  port: number,
  credentials: grpc.ChannelCredentials,
): Promise<{ reply?: string; code?: number }> {
  const client = new grpc.Client(`127.0.0.1:${port}`, credentials);
  try {
    return await new Promise((resolve) => {
      client.makeUnaryRequest<Buffer, Buffer>(
        ECHO_PATH,
        identity,
        identity,
        Buffer.from('ping'),
        { deadline: Date.now() + 10_000 },
        (error, reply) => resolve(error ? { code: error.code } : { reply: reply?.toString() }),
      );
    });
  } finally {
    client.close();
  }
}

describe('mTLS gRPC credentials', () => {
  let root: string;
  let ca: LocalCa;
  let otherCa: LocalCa;
  let silo: Identity;
  let strangerFromOtherCa: Identity;
  let serverIdentity: Identity;
  let mtls: { server: grpc.Server; port: number };
  const seen: (string | null)[] = [];

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'cohort-grpc-'));
    ca = await createLocalCa(join(root, 'ca'));
    otherCa = await createLocalCa(join(root, 'other-ca'), { commonName: 'Some other CA' });
    serverIdentity = await issueServerCertificate(ca, {
      commonName: 'aggregator',
      dnsNames: ['localhost'],
      ipAddresses: ['127.0.0.1'],
    });
    silo = await clientIdentity(ca, 'silo-cleveland');
    strangerFromOtherCa = await clientIdentity(otherCa, 'silo-cleveland');
    mtls = await startServer(
      serverCredentials({ caPem: ca.certPem, ...serverIdentity, requireClientCert: true }),
      seen,
    );
  });

  afterAll(async () => {
    mtls.server.forceShutdown();
    await rm(root, { recursive: true, force: true });
  });

  beforeEach(() => {
    seen.length = 0;
  });

  it('lets a client with a certificate from the CA through, and the server sees its CN', async () => {
    const result = await call(mtls.port, channelCredentials({ caPem: ca.certPem, ...silo }));
    expect(result).toEqual({ reply: 'silo-cleveland' });
    expect(seen).toEqual(['silo-cleveland']);
  });

  it('refuses a client without a certificate', async () => {
    const result = await call(mtls.port, channelCredentials({ caPem: ca.certPem }));
    expect(result.code).toBe(grpc.status.UNAVAILABLE);
    expect(seen).toEqual([]);
  });

  it('refuses a client whose certificate (same CN) comes from another CA', async () => {
    const result = await call(mtls.port, channelCredentials({ caPem: ca.certPem, ...strangerFromOtherCa }));
    expect(result.code).toBe(grpc.status.UNAVAILABLE);
    expect(seen).toEqual([]);
  });

  it('refuses a server-only (serverAuth) certificate presented as a client certificate', async () => {
    const result = await call(mtls.port, channelCredentials({ caPem: ca.certPem, ...serverIdentity }));
    expect(result.code).toBe(grpc.status.UNAVAILABLE);
    expect(seen).toEqual([]);
  });

  it('makes the client refuse a server its CA did not certify', async () => {
    const result = await call(mtls.port, channelCredentials({ caPem: otherCa.certPem, ...silo }));
    expect(result.code).toBe(grpc.status.UNAVAILABLE);
    expect(seen).toEqual([]);
  });

  it('serves one-way TLS when client certificates are not required, with no peer CN', async () => {
    const oneWay = await startServer(
      serverCredentials({ caPem: ca.certPem, ...serverIdentity, requireClientCert: false }),
      seen,
    );
    try {
      const result = await call(oneWay.port, channelCredentials({ caPem: ca.certPem }));
      expect(result).toEqual({ reply: '(no client certificate)' });
      expect(seen).toEqual([null]);
    } finally {
      oneWay.server.forceShutdown();
    }
  });

  it('needs a client certificate and its key together → INVALID_ARGUMENT', () => {
    for (const half of [{ certPem: silo.certPem }, { keyPem: silo.keyPem }]) {
      let error: unknown;
      try {
        channelCredentials({ caPem: ca.certPem, ...half });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(PkiError);
      expect((error as PkiError).code).toBe('INVALID_ARGUMENT');
    }
  });

  it('reads no CN from a call without a verified peer', () => {
    expect(peerCommonName({})).toBeNull();
    expect(peerCommonName({ getAuthContext: () => null })).toBeNull();
    expect(peerCommonName({ getAuthContext: () => ({}) })).toBeNull();
  });
});

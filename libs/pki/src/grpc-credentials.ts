// mTLS for grpc-js. Both ends trust only the Cohort CA (never the system roots), so a certificate from any other
// authority — however valid on the web — is refused. With requireClientCert the server also authenticates the
// dialler, and peerCommonName ties a call to the silo the CA named.
import * as grpc from '@grpc/grpc-js';
import type { PeerCertificate } from 'node:tls';

import { PkiError } from './errors.js';

export interface ServerTlsOptions {
  /** PEM of the CA(s) that sign client certificates. */
  readonly caPem: string;
  readonly certPem: string;
  readonly keyPem: string;
  /** Refuse the TLS handshake unless the client presents a certificate signed by caPem. */
  readonly requireClientCert: boolean;
}

export interface ChannelTlsOptions {
  /** PEM of the CA(s) that sign the server's certificate. */
  readonly caPem: string;
  /** The client's own certificate and key, for servers that require one; both or neither. */
  readonly certPem?: string;
  readonly keyPem?: string;
}

export function serverCredentials(opts: ServerTlsOptions): grpc.ServerCredentials {
  return grpc.ServerCredentials.createSsl(
    Buffer.from(opts.caPem),
    [{ cert_chain: Buffer.from(opts.certPem), private_key: Buffer.from(opts.keyPem) }],
    opts.requireClientCert,
  );
}

export function channelCredentials(opts: ChannelTlsOptions): grpc.ChannelCredentials {
  if ((opts.certPem === undefined) !== (opts.keyPem === undefined)) {
    throw new PkiError('INVALID_ARGUMENT', 'a client certificate needs its key and a key its certificate');
  }
  return grpc.credentials.createSsl(
    Buffer.from(opts.caPem),
    opts.keyPem === undefined ? null : Buffer.from(opts.keyPem),
    opts.certPem === undefined ? null : Buffer.from(opts.certPem),
  );
}

/** The part of a grpc-js server call (unary or streaming) that carries the TLS peer. */
export interface CallWithAuthContext {
  getAuthContext?: () => { sslPeerCertificate?: PeerCertificate } | null;
}

/**
 * The subject CN of the client certificate that the TLS layer verified for this call, or null when there is
 * none: plaintext or one-way TLS, an older grpc-js without getAuthContext, or a subject with no single CN.
 * grpc-js only exposes a peer certificate once the chain verified against the server's CA.
 */
export function peerCommonName(call: CallWithAuthContext): string | null {
  const certificate = call.getAuthContext?.()?.sslPeerCertificate;
  // node gives a multi-valued attribute as an array; an ambiguous CN names nobody.
  const cn: unknown = certificate?.subject?.CN;
  return typeof cn === 'string' && cn.length > 0 ? cn : null;
}

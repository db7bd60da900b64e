export * from './errors.js';
export { LocalCa, createLocalCa, CA_CERT_FILE, CA_KEY_FILE, type CreateLocalCaOptions } from './local-ca.js';
export {
  issueServerCertificate,
  createCertificateRequest,
  signClientCertificate,
  type ServerCertificateOptions,
  type ClientCertificateOptions,
  type CertificateAndKey,
} from './issue.js';
export { writeTlsFiles, readTlsFiles, tlsFilePaths, type TlsFiles, type TlsFilePaths } from './tls-files.js';
export {
  serverCredentials,
  channelCredentials,
  peerCommonName,
  type ServerTlsOptions,
  type ChannelTlsOptions,
  type CallWithAuthContext,
} from './grpc-credentials.js';

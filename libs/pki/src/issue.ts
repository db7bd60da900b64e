// Certificates for the mTLS transport. Servers (aggregator, gateway) get a key and certificate made here; a silo
// makes its own TLS key and sends only a CSR, so no private key ever crosses the network. The silo's TLS key is
// separate from its Ed25519 identity key: certificates rotate, the identity that signs updates does not.
import { createPublicKey } from 'node:crypto';
import { isIP } from 'node:net';

import {
  commonNameSubject,
  leafExtensions,
  randomSerialNumber,
  toPem,
  validityWindow,
} from './certificate-profile.js';
import { EC_SIGNING_ALGORITHM, generateEcdsaKeyPair, privateKeyToPkcs8Pem } from './ecdsa.js';
import { PkiError } from './errors.js';
import type { LocalCa } from './local-ca.js';
import * as x509 from './x509.js';

const DEFAULT_LEAF_VALIDITY_DAYS = 365;

export interface ServerCertificateOptions {
  readonly commonName: string;
  /** DNS subjectAltNames; clients check the host they dial against these ('localhost' for local use). */
  readonly dnsNames: readonly string[];
  /** IP subjectAltNames; dialling 127.0.0.1 verifies only if '127.0.0.1' is here. */
  readonly ipAddresses: readonly string[];
  /** Default 365. */
  readonly validityDays?: number;
}

export interface CertificateAndKey {
  readonly certPem: string;
  /** PKCS#8 PEM; store with writeTlsFiles (mode 0600). */
  readonly keyPem: string;
}

export interface ClientCertificateOptions {
  /** Must equal the CSR's subject CN: the CA names the silo, the CSR only proves possession of the key. */
  readonly commonName: string;
  /** Default 365. */
  readonly validityDays?: number;
}

export async function issueServerCertificate(
  ca: LocalCa,
  opts: ServerCertificateOptions,
): Promise<CertificateAndKey> {
  const subject = commonNameSubject(opts.commonName);
  const { notBefore, notAfter } = validityWindow(opts.validityDays ?? DEFAULT_LEAF_VALIDITY_DAYS);
  const names = subjectAltNames(opts.dnsNames, opts.ipAddresses);

  const keys = await generateEcdsaKeyPair();
  const publicKey = await x509.PublicKey.create(keys.publicKey);
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerialNumber(),
    subject,
    issuer: ca.certificate.subjectName,
    notBefore,
    notAfter,
    publicKey,
    signingKey: ca.signingKey,
    signingAlgorithm: EC_SIGNING_ALGORITHM,
    extensions: await leafExtensions(ca.certificate, publicKey, [
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(names),
    ]),
  });
  return { certPem: toPem(certificate), keyPem: privateKeyToPkcs8Pem(keys.privateKey) };
}

/** A fresh ECDSA P-256 key and a CSR for `commonName` signed with it. Keep keyPem; send csrPem. */
export async function createCertificateRequest(
  commonName: string,
): Promise<{ csrPem: string; keyPem: string }> {
  const name = commonNameSubject(commonName);
  const keys = await generateEcdsaKeyPair();
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name,
    keys,
    signingAlgorithm: EC_SIGNING_ALGORITHM,
  });
  return { csrPem: toPem(csr), keyPem: privateKeyToPkcs8Pem(keys.privateKey) };
}

/**
 * Signs a client (clientAuth) certificate for the key in `csrPem`. The certificate's subject and extensions are
 * the CA's decision; nothing but the public key is taken from the request.
 */
export async function signClientCertificate(
  ca: LocalCa,
  csrPem: string,
  opts: ClientCertificateOptions,
): Promise<string> {
  const subject = commonNameSubject(opts.commonName);
  const { notBefore, notAfter } = validityWindow(opts.validityDays ?? DEFAULT_LEAF_VALIDITY_DAYS);
  const csr = await verifiedRequest(csrPem);

  const requested = csr.subjectName.getField('CN');
  if (requested.length !== 1 || requested[0] !== opts.commonName) {
    throw new PkiError(
      'CSR_INVALID',
      `the certificate request names ${JSON.stringify(requested.join(', '))}, not ${JSON.stringify(opts.commonName)}`,
    );
  }

  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerialNumber(),
    subject,
    issuer: ca.certificate.subjectName,
    notBefore,
    notAfter,
    publicKey: csr.publicKey,
    signingKey: ca.signingKey,
    signingAlgorithm: EC_SIGNING_ALGORITHM,
    extensions: await leafExtensions(ca.certificate, csr.publicKey, [
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
    ]),
  });
  return toPem(certificate);
}

async function verifiedRequest(csrPem: string): Promise<x509.Pkcs10CertificateRequest> {
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(csrPem);
  } catch (cause) {
    throw new PkiError('CSR_INVALID', 'the certificate request is not a PEM PKCS#10 request', { cause });
  }
  // Only keys TLS peers are sure to accept: ECDSA P-256 / P-384 or RSA of at least 2048 bits.
  let acceptable: boolean;
  try {
    const key = createPublicKey({ key: Buffer.from(csr.publicKey.rawData), format: 'der', type: 'spki' });
    const details = key.asymmetricKeyDetails;
    acceptable =
      (key.asymmetricKeyType === 'ec' && ['prime256v1', 'secp384r1'].includes(details?.namedCurve ?? '')) ||
      (key.asymmetricKeyType === 'rsa' && (details?.modulusLength ?? 0) >= 2048);
  } catch (cause) {
    throw new PkiError('CSR_INVALID', 'the certificate request carries an unreadable public key', { cause });
  }
  if (!acceptable) {
    throw new PkiError(
      'CSR_INVALID',
      'the certificate request key must be ECDSA P-256/P-384 or RSA ≥ 2048 bits',
    );
  }
  let valid: boolean;
  try {
    valid = await csr.verify();
  } catch (cause) {
    throw new PkiError('CSR_INVALID', 'the certificate request signature cannot be checked', { cause });
  }
  if (!valid) {
    throw new PkiError(
      'CSR_INVALID',
      'the certificate request is not signed by its own key (altered in transit?)',
    );
  }
  return csr;
}

function subjectAltNames(dnsNames: readonly string[], ipAddresses: readonly string[]): x509.JsonGeneralNames {
  if (dnsNames.length + ipAddresses.length === 0) {
    // TLS clients match the host against SANs only; a certificate without them verifies for nobody.
    throw new PkiError('INVALID_ARGUMENT', 'a server certificate needs at least one DNS name or IP address');
  }
  for (const dns of dnsNames) {
    if (
      !/^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/.test(
        dns,
      )
    ) {
      throw new PkiError('INVALID_ARGUMENT', `${JSON.stringify(dns)} is not a DNS name`);
    }
  }
  for (const ip of ipAddresses) {
    if (isIP(ip) === 0) throw new PkiError('INVALID_ARGUMENT', `${JSON.stringify(ip)} is not an IP address`);
  }
  return [
    ...dnsNames.map((value) => ({ type: 'dns' as const, value })),
    ...ipAddresses.map((value) => ({ type: 'ip' as const, value })),
  ];
}

// What every certificate this library issues has in common: random serials, a validity window that tolerates
// small clock differences between hospitals and the aggregator, and checked subject names.
import { randomBytes } from 'node:crypto';

import { PkiError } from './errors.js';
import * as x509 from './x509.js';

/** Backdating notBefore absorbs clock skew between machines that verify each other's certificates. */
const CLOCK_SKEW_MS = 5 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;
const MAX_VALIDITY_DAYS = 100 * 365;
/** X.520 ub-common-name. */
const MAX_COMMON_NAME_LENGTH = 64;

/** 16 random bytes, positive and with a non-zero first byte so the DER INTEGER is exactly 16 bytes (RFC 5280 §4.1.2.2). */
export function randomSerialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] & 0x7f) | 0x40;
  return bytes.toString('hex');
}

export function validityWindow(validityDays: number): { notBefore: Date; notAfter: Date } {
  if (!Number.isInteger(validityDays) || validityDays < 1 || validityDays > MAX_VALIDITY_DAYS) {
    throw new PkiError(
      'INVALID_ARGUMENT',
      `validityDays must be a whole number of days from 1 to ${MAX_VALIDITY_DAYS}, got ${String(validityDays)}`,
    );
  }
  const now = Date.now();
  return { notBefore: new Date(now - CLOCK_SKEW_MS), notAfter: new Date(now + validityDays * DAY_MS) };
}

export function checkCommonName(commonName: string): void {
  if (
    commonName.length === 0 ||
    commonName.length > MAX_COMMON_NAME_LENGTH ||
    commonName.trim() !== commonName
  ) {
    throw new PkiError(
      'INVALID_ARGUMENT',
      `a common name is 1 to ${MAX_COMMON_NAME_LENGTH} characters without surrounding spaces, got ${JSON.stringify(commonName)}`,
    );
  }
}

/** A subject of just CN, built structurally so commas or '=' in the name cannot inject other attributes. */
export function commonNameSubject(commonName: string): x509.Name {
  checkCommonName(commonName);
  return new x509.Name([{ CN: [commonName] }]);
}

/** The extensions of an end-entity TLS certificate issued by `ca`; `extra` adds the EKU and SANs. */
export async function leafExtensions(
  caCertificate: x509.X509Certificate,
  subjectPublicKey: x509.PublicKey,
  extra: x509.Extension[],
): Promise<x509.Extension[]> {
  return [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    ...extra,
    await x509.SubjectKeyIdentifierExtension.create(subjectPublicKey),
    await x509.AuthorityKeyIdentifierExtension.create(caCertificate.publicKey),
  ];
}

/** PEM text ending in a newline, as OpenSSL and node write it (some tools mis-read a missing final newline). */
export function toPem(object: x509.X509Certificate | x509.Pkcs10CertificateRequest): string {
  return `${object.toString('pem')}\n`;
}

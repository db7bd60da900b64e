// A local certificate authority in a folder: `cohort init` and the demo create one so mTLS works with no outside
// PKI. ca.crt is public (every party trusts it); ca.key is the one secret that can mint identities, so it is
// written 0600, never overwritten, and loaded as a non-extractable key.
import { webcrypto } from 'node:crypto';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';

import { commonNameSubject, randomSerialNumber, toPem, validityWindow } from './certificate-profile.js';
import {
  EC_SIGNING_ALGORITHM,
  generateEcdsaKeyPair,
  importEcdsaSigningKey,
  privateKeyToPkcs8Pem,
} from './ecdsa.js';
import { isErrno } from './errno.js';
import { PkiError } from './errors.js';
import { PRIVATE_FILE_MODE, PUBLIC_FILE_MODE, writeNewFile } from './secure-file.js';
import * as x509 from './x509.js';

export const CA_CERT_FILE = 'ca.crt';
export const CA_KEY_FILE = 'ca.key';

const DEFAULT_CA_COMMON_NAME = 'Cohort local CA';
const DEFAULT_CA_VALIDITY_DAYS = 3650;

export interface CreateLocalCaOptions {
  /** Subject CN of the CA certificate (default 'Cohort local CA'). */
  readonly commonName?: string;
  /** Default 3650 (ten years): re-issuing the CA means re-enrolling every silo. */
  readonly validityDays?: number;
}

export class LocalCa {
  private constructor(
    /** The folder holding ca.crt and ca.key. */
    readonly dir: string,
    /** ca.crt as PEM: the trust anchor every server and client is configured with. */
    readonly certPem: string,
    readonly certificate: x509.X509Certificate,
    /** Non-extractable ECDSA P-256 signing key. */
    readonly signingKey: webcrypto.CryptoKey,
  ) {}

  /** Loads ca.crt and ca.key, checking the certificate is a CA and the key is its own. */
  static async load(dir: string): Promise<LocalCa> {
    const certPem = await readCaFile(dir, CA_CERT_FILE);
    const keyPem = await readCaFile(dir, CA_KEY_FILE);

    let certificate: x509.X509Certificate;
    try {
      certificate = new x509.X509Certificate(certPem);
    } catch (cause) {
      throw new PkiError('CA_INVALID', `${join(dir, CA_CERT_FILE)} is not a PEM certificate`, { cause });
    }
    const basic = certificate.getExtension(x509.BasicConstraintsExtension);
    const usage = certificate.getExtension(x509.KeyUsagesExtension);
    if (!basic?.ca || !usage || (usage.usages & x509.KeyUsageFlags.keyCertSign) === 0) {
      throw new PkiError(
        'CA_INVALID',
        `${join(dir, CA_CERT_FILE)} is not a CA certificate (needs basicConstraints CA:true and keyCertSign)`,
      );
    }

    const { signingKey, spki } = await importEcdsaSigningKey(keyPem, join(dir, CA_KEY_FILE));
    if (!spki.equals(Buffer.from(certificate.publicKey.rawData))) {
      throw new PkiError(
        'CA_KEY_MISMATCH',
        `${join(dir, CA_KEY_FILE)} is not the private key of ${join(dir, CA_CERT_FILE)}`,
      );
    }
    return new LocalCa(dir, toPem(certificate), certificate, signingKey);
  }
}

/** Creates a new CA in `dir` (created if needed); refuses to replace an existing one. */
export async function createLocalCa(dir: string, opts: CreateLocalCaOptions = {}): Promise<LocalCa> {
  const subject = commonNameSubject(opts.commonName ?? DEFAULT_CA_COMMON_NAME);
  const { notBefore, notAfter } = validityWindow(opts.validityDays ?? DEFAULT_CA_VALIDITY_DAYS);

  const keys = await generateEcdsaKeyPair();
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerialNumber(),
    name: subject,
    notBefore,
    notAfter,
    keys,
    signingAlgorithm: EC_SIGNING_ALGORITHM,
    extensions: [
      // pathLen 0: this CA signs end-entity certificates only, never another CA.
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });

  await mkdir(dir, { recursive: true, mode: 0o700 });
  // Both files are created exclusively, so nothing of an existing CA is ever replaced; a key written for a
  // certificate that then cannot be written is removed again, so the folder never pairs mismatched files.
  const keyPath = join(dir, CA_KEY_FILE);
  try {
    await writeNewFile(keyPath, privateKeyToPkcs8Pem(keys.privateKey), PRIVATE_FILE_MODE);
  } catch (cause) {
    throw caExists(dir, cause);
  }
  try {
    await writeNewFile(join(dir, CA_CERT_FILE), toPem(certificate), PUBLIC_FILE_MODE);
  } catch (cause) {
    await rm(keyPath, { force: true });
    throw caExists(dir, cause);
  }
  return LocalCa.load(dir);
}

function caExists(dir: string, cause: unknown): unknown {
  return isErrno(cause, 'EEXIST')
    ? new PkiError('CA_EXISTS', `a CA already exists in ${dir}; remove it first to create a new one`, {
        cause,
      })
    : cause;
}

async function readCaFile(dir: string, name: string): Promise<string> {
  try {
    return await readFile(join(dir, name), 'utf8');
  } catch (cause) {
    if (isErrno(cause, 'ENOENT')) {
      throw new PkiError(
        'CA_NOT_FOUND',
        `${join(dir, name)} does not exist; create a CA with \`cohort init\``,
        {
          cause,
        },
      );
    }
    throw cause;
  }
}

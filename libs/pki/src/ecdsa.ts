// ECDSA P-256 keys for TLS and the local CA: the curve every TLS stack (OpenSSL in node, BoringSSL, Go, Java)
// supports, with small keys and fast handshakes.
import { KeyObject, createPrivateKey, createPublicKey, webcrypto } from 'node:crypto';

import { PkiError } from './errors.js';

export const EC_KEY_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256' } as const;
export const EC_SIGNING_ALGORITHM = { name: 'ECDSA', hash: 'SHA-256' } as const;

/** An extractable pair: the private key is written once to a PKCS#8 PEM file and the in-memory copy dropped. */
export async function generateEcdsaKeyPair(): Promise<webcrypto.CryptoKeyPair> {
  return webcrypto.subtle.generateKey(EC_KEY_ALGORITHM, true, ['sign', 'verify']);
}

export function privateKeyToPkcs8Pem(key: webcrypto.CryptoKey): string {
  return KeyObject.from(key).export({ type: 'pkcs8', format: 'pem' }) as string;
}

/**
 * Parses a PEM private key (PKCS#8 or SEC1) that must be ECDSA P-256. Returns its DER SPKI public key, to match
 * against a certificate, and a non-extractable signing key, so the loaded CA key cannot be re-exported by mistake.
 */
export async function importEcdsaSigningKey(
  keyPem: string,
  what: string,
): Promise<{ signingKey: webcrypto.CryptoKey; spki: Buffer }> {
  let keyObject: KeyObject;
  try {
    keyObject = createPrivateKey(keyPem);
  } catch (cause) {
    throw new PkiError('CA_KEY_MISMATCH', `${what} is not a readable PEM private key`, { cause });
  }
  if (keyObject.asymmetricKeyType !== 'ec' || keyObject.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new PkiError('CA_KEY_MISMATCH', `${what} must be an ECDSA P-256 key`);
  }
  const pkcs8 = keyObject.export({ type: 'pkcs8', format: 'der' });
  const spki = createPublicKey(keyObject).export({ type: 'spki', format: 'der' });
  const signingKey = await webcrypto.subtle.importKey('pkcs8', pkcs8, EC_KEY_ALGORITHM, false, ['sign']);
  return { signingKey, spki };
}

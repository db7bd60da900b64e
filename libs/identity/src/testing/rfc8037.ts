// The Ed25519 key and signature of RFC 8037 appendix A: values computed outside this code base, so tests
// that use them check the JWS and key handling against the standard rather than against themselves.
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { identityFromPrivateKey, type SiloIdentity } from '../identity-key.js';

/** RFC 8037 A.1: the private key as a JWK. */
export const RFC8037_PRIVATE_JWK = {
  kty: 'OKP',
  crv: 'Ed25519',
  d: 'nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A',
  x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo',
} as const;

/** RFC 8037 A.3: the RFC 7638 JWK thumbprint of the A.2 public key. */
export const RFC8037_THUMBPRINT = 'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k';

/** RFC 8037 A.4: payload "Example of Ed25519 signing" signed under {"alg":"EdDSA"}. */
export const RFC8037_PAYLOAD = 'Example of Ed25519 signing';
export const RFC8037_JWS =
  'eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.' +
  'hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg';

/**
 * SHA-256 of the A.2 public key's 32 raw bytes, computed with coreutils:
 * `echo -n d75a98…511a | xxd -r -p | sha256sum`.
 */
export const RFC8037_FINGERPRINT = '21fe31dfa154a261626bf854046fd2271b7bed4b6abe45aa58877ef47f9721b9';

export function rfc8037Identity(): SiloIdentity {
  return identityFromPrivateKey(createPrivateKey({ key: RFC8037_PRIVATE_JWK, format: 'jwk' }));
}

/** A fresh identity: "another silo". */
export function randomIdentity(): SiloIdentity {
  return identityFromPrivateKey(generateKeyPairSync('ed25519').privateKey);
}

/** The JWS with one bit of its signature flipped. */
export function flipSignatureBit(jws: string): string {
  const [header, payload, signature] = jws.split('.');
  const bytes = Buffer.from(signature, 'base64url');
  bytes[0] ^= 0x01;
  return `${header}.${payload}.${bytes.toString('base64url')}`;
}

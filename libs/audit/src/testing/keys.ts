// Test keys: the Ed25519 key of RFC 8037 appendix A (so signatures can be compared with values computed
// outside this code base) and fresh random keys.
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';

export const RFC8037_PRIVATE_JWK = {
  kty: 'OKP',
  crv: 'Ed25519',
  d: 'nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A',
  x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo',
} as const;

/** SHA-256 of the RFC 8037 A.2 public key's raw bytes. */
export const RFC8037_FINGERPRINT = '21fe31dfa154a261626bf854046fd2271b7bed4b6abe45aa58877ef47f9721b9';

export interface TestKeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export function rfc8037Key(): TestKeyPair {
  const privateKey = createPrivateKey({ key: RFC8037_PRIVATE_JWK, format: 'jwk' });
  return { privateKey, publicKey: createPublicKey(privateKey) };
}

export function randomKey(): TestKeyPair {
  return generateKeyPairSync('ed25519');
}

import { calculateJwkThumbprint, type JWK } from 'jose';
import { AttestationError } from './errors.js';

/** The enclave's HPKE (RFC 9180, DHKEM X25519) public key as a JWK (RFC 8037). */
export function x25519Jwk(raw32: Uint8Array): JWK {
  return okpJwk('X25519', raw32);
}

/** An Ed25519 public key (e.g. the enclave's receipt-signing key) as a JWK (RFC 8037). */
export function ed25519Jwk(raw32: Uint8Array): JWK {
  return okpJwk('Ed25519', raw32);
}

/**
 * RFC 7638 JWK thumbprint (SHA-256, base64url): what `cnf.jkt` carries. Only the required members enter the
 * hash, so `kid`, `alg` or `use` do not change it.
 */
export async function thumbprint(jwk: JWK): Promise<string> {
  try {
    return await calculateJwkThumbprint(jwk, 'sha256');
  } catch (error) {
    throw new AttestationError(
      'ATTESTATION_KEY_BINDING',
      `cannot compute the thumbprint of a ${jwk.kty ?? '?'} key`,
      {
        cause: error,
      },
    );
  }
}

/** True when the JWK carries private or symmetric key material, which must never appear in evidence. */
export function hasPrivateMaterial(jwk: JWK): boolean {
  return jwk.d !== undefined || jwk.k !== undefined || jwk.kty === 'oct' || jwk.p !== undefined;
}

function okpJwk(crv: 'X25519' | 'Ed25519', raw32: Uint8Array): JWK {
  if (raw32.length !== 32) {
    throw new AttestationError(
      'ATTESTATION_EVIDENCE_INVALID',
      `${crv} public keys are 32 bytes, got ${raw32.length}`,
    );
  }
  return { kty: 'OKP', crv, x: Buffer.from(raw32).toString('base64url') };
}

import type { JWK } from 'jose';
import { AttestationError } from './errors.js';
import { thumbprint } from './keys.js';

/** What the relying party (a silo, or the aggregator for silo agents) accepts. */
export interface AttestationPolicy {
  /** The token's `aud` must contain this. */
  audience: string;
  /** Measurements (hex, compared case-insensitively) this party trusts. Empty refuses every token. */
  allowedMeasurements: readonly string[];
  /** False in production: a token whose `dbgstat` is 0 (debug enabled) is refused. */
  allowDebug: boolean;
  /** The nonce this party sent with its challenge; the token must echo it. */
  expectedNonce?: Uint8Array;
  /** Refuse tokens issued longer ago than this, even if `exp` has not passed. */
  maxAgeSeconds?: number;
  /** Allowed clock skew for `exp`, `nbf` and `iat`. Default 30 s. */
  clockToleranceSeconds?: number;
}

/** A token that passed every check of a policy, reduced to what Cohort acts on and audits. */
export interface VerifiedAttestation {
  /** Name of the verifier plug-in that accepted it. */
  verifier: string;
  issuer: string;
  /** Lower-case, as the allow-list matched it. */
  measurement: string;
  /** RFC 9711 integer; 0 means debug enabled. */
  dbgstat: number;
  /** The nonce the token carries (base64url), the expected one when the policy named one. */
  nonce?: string;
  /** RFC 7638 thumbprint of the bound main key (the enclave's HPKE key). */
  keyThumbprint?: string;
  /** Further bound keys by name, e.g. `{ signing: '<thumbprint>' }`. */
  extraKeyThumbprints: Record<string, string>;
  /** True for the insecure development authority: the audit trail must say so. */
  insecureDev: boolean;
  /** Every claim of the verified token. */
  claims: Record<string, unknown>;
}

/** A verifier plug-in: one attestation service (or the dev authority) and how to read its tokens. */
export interface AttestationVerifier {
  readonly name: string;
  /** Resolves only for a token that satisfies the policy; otherwise rejects with an {@link AttestationError}. */
  verify(token: string, policy: AttestationPolicy): Promise<VerifiedAttestation>;
}

/**
 * Checks that `jwk` is the key the token binds: the main key (`cnf.jkt`), or with `name` one of the extra
 * keys. A silo calls this with the enclave's HPKE key before sealing anything to it.
 */
export async function assertKeyBinding(v: VerifiedAttestation, jwk: JWK, name?: string): Promise<void> {
  const bound = name === undefined ? v.keyThumbprint : v.extraKeyThumbprints[name];
  const what = name === undefined ? 'main key' : `"${name}" key`;
  if (bound === undefined) {
    throw new AttestationError('ATTESTATION_KEY_BINDING', `the attestation token binds no ${what}`);
  }
  const presented = await thumbprint(jwk);
  if (presented !== bound) {
    throw new AttestationError(
      'ATTESTATION_KEY_BINDING',
      `the presented ${what} (thumbprint ${presented}) is not the one the attestation token binds (${bound})`,
    );
  }
}

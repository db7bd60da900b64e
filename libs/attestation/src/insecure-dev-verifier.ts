import type { JSONWebKeySet } from 'jose';
import { INSECURE_DEV_ISSUER } from './insecure-dev-authority.js';
import { JwksVerifier } from './jwks-verifier.js';
import { cohortEatMapping } from './mappings/cohort-eat.js';

/**
 * The `insecure-dev` plug-in: verifies tokens of an {@link InsecureDevAuthority} against its pinned JWKS.
 * Every result has `insecureDev: true`; since the authority always states debug enabled, a policy with
 * `allowDebug: false` refuses its tokens (`ATTESTATION_DEBUG`).
 */
export function insecureDevVerifier(
  authorityJwks: JSONWebKeySet,
  issuer = INSECURE_DEV_ISSUER,
): JwksVerifier {
  return new JwksVerifier({
    name: 'insecure-dev',
    issuer,
    jwks: authorityJwks,
    algorithms: ['EdDSA', 'Ed25519'],
    claimMapping: cohortEatMapping,
    insecureDev: true,
  });
}

import { COHORT_EAT_TYP, COHORT_KEY_SUFFIX, cohortClaimsSchema } from '../claims.js';
import type { ClaimMapping, MappedClaims } from '../claim-mapping.js';
import { malformed, type Claims } from '../claim-readers.js';
import { dbgstatValue } from '../dbgstat.js';

/**
 * Cohort's own EAT layout (see `CohortEatClaims` and the README): `measurements[0].digest`, integer
 * `dbgstat`, `eat_nonce`, `cnf.jkt` and `cohort_keys.<name>_jkt`. Used for the insecure-dev authority and
 * for any attestation service configured to emit Cohort's profile.
 */
export const cohortEatMapping: ClaimMapping = {
  name: 'cohort-eat',
  algorithms: ['EdDSA', 'Ed25519', 'ES256', 'ES384', 'PS256', 'PS384', 'RS256'],
  typ: COHORT_EAT_TYP,
  // Reading is synchronous; the promise turns a thrown refusal into a rejection like the other mappings.
  extract: (claims: Claims): Promise<MappedClaims> => Promise.resolve(claims).then(read),
};

function read(claims: Claims): MappedClaims {
  const parsed = cohortClaimsSchema.safeParse(claims);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? issue.path.join('.') : '(claims)';
    throw malformed(`not a Cohort EAT: ${where}: ${issue?.message ?? 'invalid'}`);
  }
  const { measurements, dbgstat, eat_nonce, cnf, cohort_keys } = parsed.data;
  const debug = dbgstatValue(dbgstat);
  if (debug === undefined) throw malformed(`claim dbgstat has an unknown value ${String(dbgstat)}`);
  const extraKeyThumbprints: Record<string, string> = {};
  for (const [member, jkt] of Object.entries(cohort_keys ?? {})) {
    extraKeyThumbprints[member.slice(0, -COHORT_KEY_SUFFIX.length)] = jkt;
  }
  return {
    measurement: measurements[0].digest,
    dbgstat: debug,
    nonce: eat_nonce,
    keyThumbprint: cnf.jkt,
    extraKeyThumbprints,
  };
}

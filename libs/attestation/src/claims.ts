import { z } from 'zod';

/** `eat_profile` of Cohort's own tokens (RFC 9711 section 4.3.2: a URI names the profile). */
export const COHORT_EAT_PROFILE = 'tag:cohort.dev,2026:enclave-v1';

/** JOSE `typ` of Cohort's tokens (RFC 9782 registers application/eat+jwt). */
export const COHORT_EAT_TYP = 'eat+jwt';

/**
 * One entry of the `measurements` claim. RFC 9711 section 4.2.16 carries measurements as
 * `[content-type, bytes]` pairs in a format such as CoSWID; Cohort simplifies that to one digest per
 * measured component, in the style of an RFC 9393 CoSWID hash entry, because the only thing measured is
 * a file bundle whose recipe is documented (see the README).
 */
export interface CohortMeasurement {
  alg: 'sha-256';
  /** Lower-case hex. */
  digest: string;
  /** What was measured, e.g. 'cohort-enclave' or 'cohort-silo-agent'. */
  component: string;
}

/** The claims of a Cohort attestation token (JWT + RFC 9711 EAT + RFC 7800 `cnf`). */
export interface CohortEatClaims {
  iss: string;
  aud: string | string[];
  iat: number;
  exp: number;
  jti?: string;
  /** base64url of the relying party's nonce (8 to 64 bytes). */
  eat_nonce: string;
  eat_profile: typeof COHORT_EAT_PROFILE;
  measurements: CohortMeasurement[];
  /** RFC 9711 debug status as its integer (0 enabled … 4 disabled-fully-and-permanently). */
  dbgstat: number;
  /** RFC 7800 confirmation: RFC 7638 thumbprint of the attested party's main key (the enclave's HPKE key). */
  cnf: { jkt: string };
  /** Further keys bound to the attested party, `<name>_jkt` → thumbprint, e.g. `signing_jkt`. */
  cohort_keys?: Record<string, string>;
  /** Present and true only in tokens of the insecure development authority. */
  cohort_insecure_dev?: true;
}

/** Suffix of each `cohort_keys` member name. */
export const COHORT_KEY_SUFFIX = '_jkt';

const hex64 = z.string().regex(/^[0-9a-f]{64}$/, 'a lower-case hex SHA-256');
const jkt = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'a base64url SHA-256 thumbprint');

/** The Cohort-specific part of the claims; the JWT claims are checked by the verifier for every provider. */
export const cohortClaimsSchema = z.object({
  eat_profile: z.literal(COHORT_EAT_PROFILE),
  eat_nonce: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
  measurements: z
    .array(z.object({ alg: z.literal('sha-256'), digest: hex64, component: z.string().min(1) }))
    .length(1, 'exactly one measured component'),
  dbgstat: z.union([z.number(), z.string()]),
  cnf: z.object({ jkt }),
  cohort_keys: z.record(z.string().endsWith(COHORT_KEY_SUFFIX), jkt).optional(),
  cohort_insecure_dev: z.literal(true).optional(),
});

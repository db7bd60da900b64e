import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SignJWT, importPKCS8, type JWK } from 'jose';
import {
  COHORT_EAT_PROFILE,
  COHORT_EAT_TYP,
  COHORT_KEY_SUFFIX,
  DBGSTAT,
  INSECURE_DEV_ISSUER,
  thumbprint,
  type CohortEatClaims,
} from '@cohort/attestation';

/** What a crafted token says; every field defaults to what the genuine authority would write. */
export interface CraftedToken {
  measurement: string;
  component: string;
  /** The key bound as cnf.jkt. */
  boundKey: JWK;
  extraKeys?: Record<string, JWK>;
  nonce?: Uint8Array;
  audience?: string;
  issuer?: string;
  /** Seconds since the epoch. */
  iat?: number;
  exp?: number;
  dbgstat?: number;
}

/**
 * Signs an attestation token with the claim layout of InsecureDevAuthority.issue, but with any claim the test
 * chooses — an expiry in the past, say — using the authority's own key (its authority.key, PKCS#8 PEM) and
 * the kid its jwks.json publishes, so only the chosen claim makes it wrong.
 */
export async function craftToken(authorityDir: string, t: CraftedToken): Promise<string> {
  const pem = await readFile(join(authorityDir, 'authority.key'), 'utf8');
  const jwks = JSON.parse(await readFile(join(authorityDir, 'jwks.json'), 'utf8')) as { keys: JWK[] };
  const key = await importPKCS8(pem, 'EdDSA');
  const now = Math.floor(Date.now() / 1000);
  const cohortKeys: Record<string, string> = {};
  for (const [name, jwk] of Object.entries(t.extraKeys ?? {}))
    cohortKeys[`${name}${COHORT_KEY_SUFFIX}`] = await thumbprint(jwk);
  const claims: CohortEatClaims = {
    iss: t.issuer ?? INSECURE_DEV_ISSUER,
    aud: t.audience ?? 'cohort-federation',
    iat: t.iat ?? now,
    exp: t.exp ?? now + 300,
    jti: randomBytes(16).toString('base64url'),
    eat_nonce: Buffer.from(t.nonce ?? randomBytes(16)).toString('base64url'),
    eat_profile: COHORT_EAT_PROFILE,
    measurements: [{ alg: 'sha-256', digest: t.measurement, component: t.component }],
    dbgstat: t.dbgstat ?? DBGSTAT.enabled,
    cnf: { jkt: await thumbprint(t.boundKey) },
    ...(Object.keys(cohortKeys).length > 0 ? { cohort_keys: cohortKeys } : {}),
    cohort_insecure_dev: true,
  };
  return new SignJWT({ ...claims })
    .setProtectedHeader({ alg: 'EdDSA', typ: COHORT_EAT_TYP, kid: jwks.keys[0].kid })
    .sign(key);
}

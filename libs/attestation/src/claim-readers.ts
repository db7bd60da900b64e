import type { JWK } from 'jose';
import { AttestationError } from './errors.js';
import { hasPrivateMaterial, thumbprint } from './keys.js';

// Helpers the claim mappings share. Each throws ATTESTATION_MALFORMED naming the claim, so a refused token
// says which field of which provider's layout was wrong.

export type Claims = Readonly<Record<string, unknown>>;

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function malformed(message: string): AttestationError {
  return new AttestationError('ATTESTATION_MALFORMED', message);
}

/** A non-empty string claim, or an error naming it. */
export function requireString(value: unknown, claim: string): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw malformed(`claim ${claim} is missing or not a non-empty string`);
  }
  return value;
}

/** A boolean claim that may be absent; present with another type is an error (never read as false). */
export function optionalBoolean(value: unknown, claim: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw malformed(`claim ${claim} is not a boolean`);
  return value;
}

/** A string-or-array-of-strings claim (`aud`, or `eat_nonce`, which RFC 9711 allows in both forms), as a list. */
export function stringList(value: unknown, claim: string): string[] | undefined {
  if (value === undefined) return undefined;
  const list = Array.isArray(value) ? value : [value];
  if (
    list.length === 0 ||
    !list.every((item): item is string => typeof item === 'string' && item.length > 0)
  ) {
    throw malformed(`claim ${claim} is not a string or an array of strings`);
  }
  return list;
}

/**
 * Cohort's convention for keys an attested party publishes in a provider's runtime data (Azure
 * `x-ms-runtime.keys`, Intel `attester_runtime_data.keys`): a JWK array where `kid: "cohort-hpke"` is the main
 * (HPKE) key and `kid: "cohort-<name>"` any further key. Other keys (e.g. Azure's HCL transfer key) are not
 * Cohort's and are ignored — never taken as the main key by elimination.
 */
export const RUNTIME_KEY_PREFIX = 'cohort-';
export const RUNTIME_MAIN_KEY_KID = `${RUNTIME_KEY_PREFIX}hpke`;

export async function runtimeKeyThumbprints(
  keys: unknown,
  claim: string,
): Promise<{ keyThumbprint?: string; extraKeyThumbprints: Record<string, string> }> {
  const extraKeyThumbprints: Record<string, string> = {};
  if (keys === undefined) return { extraKeyThumbprints };
  if (!Array.isArray(keys)) throw malformed(`claim ${claim} is not an array of JWKs`);
  let keyThumbprint: string | undefined;
  for (const key of keys) {
    if (!isObject(key) || typeof key.kid !== 'string' || !key.kid.startsWith(RUNTIME_KEY_PREFIX)) continue;
    const jwk = key as JWK;
    if (hasPrivateMaterial(jwk))
      throw malformed(`claim ${claim} carries private key material (kid ${key.kid})`);
    const name = key.kid.slice(RUNTIME_KEY_PREFIX.length);
    const print = await thumbprint(jwk);
    const seen = key.kid === RUNTIME_MAIN_KEY_KID ? keyThumbprint : extraKeyThumbprints[name];
    if (seen !== undefined) throw malformed(`claim ${claim} has two keys with kid ${key.kid}`);
    if (key.kid === RUNTIME_MAIN_KEY_KID) keyThumbprint = print;
    else extraKeyThumbprints[name] = print;
  }
  return { keyThumbprint, extraKeyThumbprints };
}

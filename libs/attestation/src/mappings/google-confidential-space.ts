import type { ClaimMapping, MappedClaims } from '../claim-mapping.js';
import { isObject, malformed, stringList, requireString, type Claims } from '../claim-readers.js';
import { dbgstatValue } from '../dbgstat.js';

/** Prefix of the `eat_nonce` entries that carry key thumbprints (Cohort's convention, see below). */
export const CONFIDENTIAL_SPACE_KEY_NONCE_PREFIX = 'cohort-jkt:';

/**
 * Google Confidential Space, from its "Attestation token claims" reference
 * (cloud.google.com/confidential-computing/confidential-space/docs/reference/token-claims): measurement
 * `submods.container.image_digest` (`sha256:<hex>`), `dbgstat` as text (`disabled-since-boot` on production
 * images, `enabled` on debug images), `eat_nonce` a string or an array of up to six strings of 8 to 88
 * bytes, echoed from the custom-token request. Tokens are RS256 and the JWKS is found through
 * `https://confidentialcomputing.googleapis.com/.well-known/openid-configuration`.
 *
 * A custom token has no field for attested keys, so Cohort requests it with several nonces: base64url of
 * the relying party's nonce, `cohort-jkt:hpke:<thumbprint>` for the main key and
 * `cohort-jkt:<name>:<thumbprint>` for each further key (each well under 88 bytes).
 */
export const googleConfidentialSpaceMapping: ClaimMapping = {
  name: 'google-confidential-space',
  algorithms: ['RS256'],
  // Reading is synchronous; the promise turns a thrown refusal into a rejection like the other mappings.
  extract: (claims: Claims): Promise<MappedClaims> => Promise.resolve(claims).then(read),
};

function read(claims: Claims): MappedClaims {
  const submods = claims['submods'];
  const container = isObject(submods) ? submods['container'] : undefined;
  if (!isObject(container))
    throw malformed('claim submods.container is missing: not a Confidential Space token');
  const measurement = requireString(container['image_digest'], 'submods.container.image_digest');
  const dbgstat = dbgstatValue(claims['dbgstat']);
  if (dbgstat === undefined) throw malformed('claim dbgstat is missing or has an unknown value');
  const entries = stringList(claims['eat_nonce'], 'eat_nonce') ?? [];
  const nonces: string[] = [];
  let keyThumbprint: string | undefined;
  const extraKeyThumbprints: Record<string, string> = {};
  for (const entry of entries) {
    if (!entry.startsWith(CONFIDENTIAL_SPACE_KEY_NONCE_PREFIX)) {
      nonces.push(entry);
      continue;
    }
    const [name, print] = entry.slice(CONFIDENTIAL_SPACE_KEY_NONCE_PREFIX.length).split(':');
    if (!name || !print) throw malformed(`eat_nonce entry ${entry} is not cohort-jkt:<name>:<thumbprint>`);
    if (name === 'hpke') keyThumbprint = print;
    else extraKeyThumbprints[name] = print;
  }
  return {
    measurement,
    dbgstat,
    nonce: nonces.length > 0 ? nonces : undefined,
    keyThumbprint,
    extraKeyThumbprints,
  };
}

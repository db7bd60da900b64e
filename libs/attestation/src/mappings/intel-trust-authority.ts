import type { ClaimMapping, MappedClaims } from '../claim-mapping.js';
import {
  isObject,
  malformed,
  stringList,
  optionalBoolean,
  requireString,
  runtimeKeyThumbprints,
  type Claims,
} from '../claim-readers.js';
import { dbgstatFromFlags, dbgstatValue } from '../dbgstat.js';

/**
 * Intel Trust Authority (ITA), from its "Attestation tokens and claims" page and EAT profile
 * (docs.trustauthority.intel.com, portal.trustauthority.intel.com/eat_profile.html). v2 tokens nest the TEE
 * claims under `tdx` (or `sgx`); v1 tokens have them at the top level — both are read.
 *
 * | `attester_type` | measurement | debug |
 * |---|---|---|
 * | `TDX` | `tdx_mrtd` | `tdx_is_debuggable`, `tdx_td_attributes_debug`, `dbgstat` |
 * | `SGX` | `sgx_mrenclave` | `sgx_is_debuggable`, `dbgstat` |
 *
 * ITA's `verifier_nonce` is ITA's own anti-replay nonce (it checks it when attesting), not the relying
 * party's, so it is not used for freshness. Instead the attested party sends JSON `runtime_data`, which ITA
 * binds to the quote's report data and emits as `attester_runtime_data`; Cohort's convention is
 * `{ "aud": "<audience>", "eat_nonce": "<base64url nonce>", "keys": [JWK kid "cohort-hpke", JWK kid
 * "cohort-<name>"…] }` (ITA tokens have no `aud` of their own).
 * ITA signs with PS384 (RS256 on request) and publishes its JWKS at `https://portal.trustauthority.intel.com/certs`.
 */
export const intelTrustAuthorityMapping: ClaimMapping = {
  name: 'intel-trust-authority',
  algorithms: ['PS384', 'RS256'],
  async extract(claims: Claims): Promise<MappedClaims> {
    const tee = teeSection(claims);
    const type = requireString(
      tee['attester_type'] ?? claims['attester_type'],
      'attester_type',
    ).toUpperCase();
    const statedRaw = tee['dbgstat'] ?? claims['dbgstat'];
    const stated = statedRaw === undefined ? undefined : dbgstatValue(statedRaw);
    if (statedRaw !== undefined && stated === undefined)
      throw malformed('claim dbgstat has an unknown value');
    let measurement: string;
    let dbgstat: number | undefined;
    if (type === 'TDX') {
      measurement = requireString(tee['tdx_mrtd'], 'tdx_mrtd');
      dbgstat = dbgstatFromFlags(
        [
          optionalBoolean(tee['tdx_is_debuggable'], 'tdx_is_debuggable'),
          optionalBoolean(tee['tdx_td_attributes_debug'], 'tdx_td_attributes_debug'),
        ],
        stated,
      );
    } else if (type === 'SGX') {
      measurement = requireString(tee['sgx_mrenclave'], 'sgx_mrenclave');
      dbgstat = dbgstatFromFlags([optionalBoolean(tee['sgx_is_debuggable'], 'sgx_is_debuggable')], stated);
    } else {
      throw malformed(`attester_type ${type} is not one Cohort reads (TDX, SGX)`);
    }
    if (dbgstat === undefined) throw malformed(`the ${type} token has no debug status claim`);
    const runtime = tee['attester_runtime_data'] ?? claims['attester_runtime_data'];
    if (runtime !== undefined && !isObject(runtime))
      throw malformed('claim attester_runtime_data is not an object');
    const keys = await runtimeKeyThumbprints(runtime?.['keys'], 'attester_runtime_data.keys');
    return {
      measurement,
      dbgstat,
      nonce: stringList(runtime?.['eat_nonce'], 'attester_runtime_data.eat_nonce'),
      audience: stringList(runtime?.['aud'], 'attester_runtime_data.aud'),
      ...keys,
    };
  },
};

function teeSection(claims: Claims): Claims {
  for (const member of ['tdx', 'sgx']) {
    const nested = claims[member];
    if (isObject(nested)) return nested;
  }
  return claims;
}

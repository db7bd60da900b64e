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
 * Microsoft Azure Attestation (MAA), from its documented token examples and claim sets
 * (learn.microsoft.com/azure/attestation/attestation-token-examples, …/claim-sets):
 *
 * | `x-ms-attestation-type` | measurement | debug |
 * |---|---|---|
 * | `sevsnpvm` | `x-ms-sevsnpvm-launchmeasurement` (SHA-384 hex) | `x-ms-sevsnpvm-is-debuggable` |
 * | `tdxvm` | `tdx_mrtd` (SHA-384 hex) | `tdx_td_attributes_debug`, `dbgstat` |
 * | `sgx` | `x-ms-sgx-mrenclave` | `x-ms-sgx-is-debuggable` |
 * | `azurevm` | the same, read from the nested `x-ms-isolation-tee` object | |
 *
 * Nonce: `nonce`, MAA's "untransformed direct copy" of the nonce the attester sent (deprecated alias
 * `rp_data`); Cohort sends base64url of the relying party's nonce. Keys: the attested party's runtime data
 * is emitted as `x-ms-runtime`; Cohort publishes its keys there as `x-ms-runtime.keys`, a JWK array with
 * `kid: "cohort-hpke"` (main) and `kid: "cohort-<name>"`. MAA tokens have no `aud`, so Cohort states the
 * audience as `x-ms-runtime.aud`. MAA signs with RS256 and publishes its JWKS at
 * `<instance>/certs`.
 */
export const azureAttestationMapping: ClaimMapping = {
  name: 'azure-attestation',
  algorithms: ['RS256'],
  async extract(claims: Claims): Promise<MappedClaims> {
    const tee = teeSection(claims);
    const type = requireString(tee['x-ms-attestation-type'], 'x-ms-attestation-type');
    let measurement: string;
    let dbgstat: number | undefined;
    switch (type) {
      case 'sevsnpvm':
        measurement = requireString(
          tee['x-ms-sevsnpvm-launchmeasurement'],
          'x-ms-sevsnpvm-launchmeasurement',
        );
        dbgstat = dbgstatFromFlags([
          optionalBoolean(tee['x-ms-sevsnpvm-is-debuggable'], 'x-ms-sevsnpvm-is-debuggable'),
        ]);
        break;
      case 'tdxvm': {
        measurement = requireString(tee['tdx_mrtd'], 'tdx_mrtd');
        const stated = tee['dbgstat'] === undefined ? undefined : dbgstatValue(tee['dbgstat']);
        if (tee['dbgstat'] !== undefined && stated === undefined)
          throw malformed('claim dbgstat has an unknown value');
        dbgstat = dbgstatFromFlags(
          [optionalBoolean(tee['tdx_td_attributes_debug'], 'tdx_td_attributes_debug')],
          stated,
        );
        break;
      }
      case 'sgx':
        measurement = requireString(tee['x-ms-sgx-mrenclave'], 'x-ms-sgx-mrenclave');
        dbgstat = dbgstatFromFlags([
          optionalBoolean(tee['x-ms-sgx-is-debuggable'], 'x-ms-sgx-is-debuggable'),
        ]);
        break;
      default:
        throw malformed(
          `x-ms-attestation-type ${type} is not one Cohort reads (sevsnpvm, tdxvm, sgx, azurevm)`,
        );
    }
    // A token that says nothing about debugging is not read as "disabled".
    if (dbgstat === undefined) throw malformed(`the ${type} token has no debug status claim`);
    const runtime = claims['x-ms-runtime'];
    if (runtime !== undefined && !isObject(runtime)) throw malformed('claim x-ms-runtime is not an object');
    const keys = await runtimeKeyThumbprints(runtime?.['keys'], 'x-ms-runtime.keys');
    return {
      measurement,
      dbgstat,
      nonce: stringList(claims['nonce'] ?? claims['rp_data'], 'nonce'),
      audience: stringList(runtime?.['aud'], 'x-ms-runtime.aud'),
      ...keys,
    };
  },
};

/** Where the TEE claims are: top level, or for the `azurevm` (vTPM) flow the nested `x-ms-isolation-tee`. */
function teeSection(claims: Claims): Claims {
  if (claims['x-ms-attestation-type'] !== 'azurevm') return claims;
  const nested = claims['x-ms-isolation-tee'];
  if (!isObject(nested)) throw malformed('an azurevm token without an x-ms-isolation-tee object');
  return nested;
}

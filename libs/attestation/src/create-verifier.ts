import { readFile } from 'node:fs/promises';
import type { JSONWebKeySet } from 'jose';
import type { VerifierSpec } from '@cohort/config';
import type { ClaimMapping } from './claim-mapping.js';
import { isObject } from './claim-readers.js';
import { AttestationError } from './errors.js';
import { insecureDevVerifier } from './insecure-dev-verifier.js';
import { JwksVerifier } from './jwks-verifier.js';
import { azureAttestationMapping } from './mappings/azure-attestation.js';
import { cohortEatMapping } from './mappings/cohort-eat.js';
import { googleConfidentialSpaceMapping } from './mappings/google-confidential-space.js';
import { intelTrustAuthorityMapping } from './mappings/intel-trust-authority.js';
import type { AttestationVerifier } from './verifier.js';

/** The claim-mapping presets by the names a trust file uses. */
export const claimMappings: Readonly<Record<'cohort' | 'azure' | 'intel' | 'google', ClaimMapping>> = {
  cohort: cohortEatMapping,
  azure: azureAttestationMapping,
  intel: intelTrustAuthorityMapping,
  google: googleConfidentialSpaceMapping,
};

/** The verifier plug-in a trust file's `verifier` entry names. */
export async function createVerifier(spec: VerifierSpec): Promise<AttestationVerifier> {
  if (spec.kind === 'insecure-dev') return insecureDevVerifier(await readJwksFile(spec.jwksFile));
  return new JwksVerifier({
    name: claimMappings[spec.mapping].name,
    issuer: spec.issuer,
    jwks: new URL(spec.jwksUrl),
    claimMapping: claimMappings[spec.mapping],
  });
}

async function readJwksFile(path: string): Promise<JSONWebKeySet> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new AttestationError('ATTESTATION_CONFIG_INVALID', `cannot read the pinned JWKS ${path}`, {
      cause: error,
    });
  }
  if (!isObject(parsed) || !Array.isArray(parsed['keys'])) {
    throw new AttestationError(
      'ATTESTATION_CONFIG_INVALID',
      `${path} is not a JSON Web Key Set ({ "keys": [...] })`,
    );
  }
  return parsed as unknown as JSONWebKeySet;
}

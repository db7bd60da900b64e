import { readFile } from 'node:fs/promises';
import { loadTrustFile, type PartyPolicy, type TrustFile } from '@cohort/config';
import { createVerifier, type AttestationVerifier } from '@cohort/attestation';

export const TRUST = Symbol('TRUST');

/** The federation's trust anchors as the aggregator uses them: how to verify silo agents' tokens. */
export interface AggregatorTrust {
  file: TrustFile;
  agent: { policy: PartyPolicy; verifier: AttestationVerifier };
  caCertPem?: string;
}

export async function loadAggregatorTrust(trustFile: string, caFile?: string): Promise<AggregatorTrust> {
  const file = await loadTrustFile(trustFile);
  return {
    file,
    agent: { policy: file.agent, verifier: await createVerifier(file.agent.verifier) },
    caCertPem: caFile ? await readFile(caFile, 'utf8') : undefined,
  };
}

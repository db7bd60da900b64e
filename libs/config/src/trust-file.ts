import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { ConfigurationError } from './environment.js';
import { describeIssues } from './config-file.js';

// SHA-256 (ours; Google's image digests as sha256:<hex>) or SHA-384 (SEV-SNP launch digests, TDX MRTD).
const hexDigest = z.string().regex(/^(sha256:)?([0-9a-f]{64}|[0-9a-f]{96})$/, {
  error: 'a measurement is 64 or 96 lowercase hex digits (SHA-256 or SHA-384), optionally prefixed "sha256:"',
});

export const verifierSpecSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('insecure-dev'), jwksFile: z.string().min(1) }),
  z.strictObject({
    kind: z.literal('jwks'),
    issuer: z.string().min(1),
    jwksUrl: z.url(),
    mapping: z.enum(['cohort', 'azure', 'intel', 'google']),
  }),
]);

const partyPolicySchema = z.strictObject({
  verifier: verifierSpecSchema,
  measurements: z.array(hexDigest).min(1),
  /** Debug-enabled evidence (dbgstat 0) is accepted only where the policy says so: never in production. */
  allowDebug: z.boolean().default(false),
});

/** The federation's trust anchors: who may attest the enclave and the silo agents, and which code is allowed. */
export const trustFileSchema = z.strictObject({
  audience: z.string().min(1).default('cohort-federation'),
  enclave: partyPolicySchema,
  agent: partyPolicySchema,
});

export type VerifierSpec = z.output<typeof verifierSpecSchema>;
export type TrustFile = z.output<typeof trustFileSchema>;
export type PartyPolicy = z.output<typeof partyPolicySchema>;

/** Reads a trust file; relative paths inside it are resolved against its folder. */
export async function loadTrustFile(path: string): Promise<TrustFile> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new ConfigurationError(`cannot read the trust file ${path}: ${(err as Error).message}`);
  }
  const parsed = trustFileSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigurationError(
      `trust file ${path} is invalid: ${describeIssues(parsed.error.issues).join('; ')}`,
    );
  }
  const base = dirname(resolve(path));
  const fix = (v: VerifierSpec): VerifierSpec =>
    v.kind === 'insecure-dev'
      ? { ...v, jwksFile: isAbsolute(v.jwksFile) ? v.jwksFile : resolve(base, v.jwksFile) }
      : v;
  return {
    ...parsed.data,
    enclave: { ...parsed.data.enclave, verifier: fix(parsed.data.enclave.verifier) },
    agent: { ...parsed.data.agent, verifier: fix(parsed.data.agent.verifier) },
  };
}

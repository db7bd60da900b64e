import { randomBytes } from 'node:crypto';
import { InsecureDevAuthority, ed25519Jwk } from '@cohort/attestation';
import type { SiloIdentity } from '@cohort/identity';
import { AGENT_COMPONENT, measureAgent } from './agent-bundle.js';

export const AGENT_TOKENS = Symbol('AGENT_TOKENS');

/**
 * The silo agent's own attestation: evidence (its measurement, its identity key) turned into a token by the
 * configured authority. Only the insecure-dev authority exists here; a TEE-backed agent would plug in the same way.
 */
export class AgentTokens {
  private constructor(
    private readonly authority: InsecureDevAuthority,
    readonly measurement: string,
    private readonly identity: SiloIdentity,
    private readonly audience: string,
  ) {}

  static async create(authorityDir: string, identity: SiloIdentity, audience: string): Promise<AgentTokens> {
    return new AgentTokens(
      await InsecureDevAuthority.loadOrCreate(authorityDir),
      await measureAgent(),
      identity,
      audience,
    );
  }

  /** A fresh token, bound to the identity key, for each enrolment and each connection. */
  issue(): Promise<string> {
    return this.authority.issue(
      {
        measurement: this.measurement,
        component: AGENT_COMPONENT,
        nonce: randomBytes(16),
        boundKey: ed25519Jwk(this.identity.publicKeyRaw),
      },
      this.audience,
    );
  }
}

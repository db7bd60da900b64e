import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import {
  AttestationError,
  assertKeyBinding,
  ed25519Jwk,
  type VerifiedAttestation,
} from '@cohort/attestation';
import { AggregatorErrorCode, AggregatorException } from '../common/aggregator.exception.js';
import { AuditTrail } from '../audit/audit-trail.service.js';
import { LOGGER } from '../common/logger.provider.js';
import { TRUST, type AggregatorTrust } from './trust.provider.js';

/** How old a silo agent's token may be when it connects. */
const AGENT_TOKEN_MAX_AGE_SECONDS = 600;

/** Silos prove which agent code they run: a token from an accepted verifier, bound to their identity key. */
@Injectable()
export class AgentAttestation {
  constructor(
    @Inject(TRUST) private readonly trust: AggregatorTrust,
    @Inject(LOGGER) private readonly log: Logger,
    private readonly audit: AuditTrail,
  ) {}

  async verify(siloId: string, token: string, identityKeyRaw: Uint8Array): Promise<VerifiedAttestation> {
    const { policy, verifier } = this.trust.agent;
    try {
      const verified = await verifier.verify(token, {
        audience: this.trust.file.audience,
        allowedMeasurements: policy.measurements,
        allowDebug: policy.allowDebug,
        maxAgeSeconds: AGENT_TOKEN_MAX_AGE_SECONDS,
      });
      await assertKeyBinding(verified, ed25519Jwk(identityKeyRaw));
      this.log.info(
        {
          audit: true,
          siloId,
          verifier: verified.verifier,
          measurement: verified.measurement,
          insecureDev: verified.insecureDev,
        },
        'silo agent attestation verified',
      );
      await this.audit.record(`silo:${siloId}`, 'attestation.verified', `silo:${siloId}`, {
        siloId,
        component: 'silo-agent',
        verifier: verified.verifier,
        measurement: verified.measurement,
        insecureDev: verified.insecureDev,
      });
      return verified;
    } catch (err: unknown) {
      const code = err instanceof AttestationError ? err.code : 'ATTESTATION_MALFORMED';
      this.log.warn(
        { audit: true, siloId, code, reason: (err as Error).message },
        'silo agent attestation refused',
      );
      await this.audit.recordRefusal(`silo:${siloId}`, 'attestation.refused', `silo:${siloId}`, {
        siloId,
        component: 'silo-agent',
        code,
        reason: (err as Error).message,
      });
      throw new AggregatorException(
        AggregatorErrorCode.ATTESTATION_REFUSED,
        `the silo agent's attestation was refused (${code}): ${(err as Error).message}`,
      );
    }
  }
}

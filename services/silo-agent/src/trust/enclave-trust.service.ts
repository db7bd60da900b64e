import { Inject, Injectable } from '@nestjs/common';
import { randomBytes, type KeyObject } from 'node:crypto';
import { lastValueFrom } from 'rxjs';
import type { Logger } from 'pino';
import {
  AttestationError,
  assertKeyBinding,
  ed25519Jwk,
  x25519Jwk,
  type AttestationVerifier,
} from '@cohort/attestation';
import type { PartyPolicy } from '@cohort/config';
import { publicKeyFromRaw } from '@cohort/identity';
import type { FederationServiceClient } from '@cohort/protocol';
import { SiloConfig } from '../config.js';
import { FEDERATION_CLIENT } from '../federation-client.js';
import { LocalAudit } from '../audit/local-audit.service.js';
import { LOGGER } from '../logger.provider.js';

export const ENCLAVE_POLICY = Symbol('ENCLAVE_POLICY');

export interface EnclavePolicy {
  audience: string;
  policy: PartyPolicy;
  verifier: AttestationVerifier;
}

export interface TrustedEnclave {
  hpkePublicKey: Uint8Array;
  signingKey: KeyObject;
  measurement: string;
  verifier: string;
}

/** Why the silo will not send: carried to the aggregator as the reason it declines the round. */
export class EnclaveRefused extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'EnclaveRefused';
  }
}

/** How old the enclave's token may be when verified: it is fetched for a nonce chosen just before. */
const MAX_TOKEN_AGE_SECONDS = 120;
/** How long one verification covers a job's later rounds before the silo asks again with a new nonce. */
const REUSE_MS = 60_000;

/**
 * Before any byte of an update leaves the hospital: a token for a nonce this silo just chose, signed by a pinned
 * verifier, for this federation, fresh, for allowed enclave code, with debug status per policy, binding the
 * very HPKE key the update will be sealed to (and the key that signs receipts).
 */
@Injectable()
export class EnclaveTrust {
  private readonly verified = new Map<string, { enclave: TrustedEnclave; at: number }>();

  constructor(
    private readonly config: SiloConfig,
    @Inject(ENCLAVE_POLICY) private readonly trust: EnclavePolicy,
    @Inject(FEDERATION_CLIENT) private readonly federation: FederationServiceClient,
    @Inject(LOGGER) private readonly log: Logger,
    private readonly audit: LocalAudit,
  ) {}

  /**
   * The verified enclave for a job's round. A verification is reused for the job while it is fresh (the
   * enclave's keys live as long as its process, and a restart breaks the silo's session, which forgets them).
   */
  async verifyFor(jobId: string, round: number): Promise<TrustedEnclave> {
    const cached = this.verified.get(jobId);
    if (cached && Date.now() - cached.at < REUSE_MS) return cached.enclave;
    const enclave = await this.attest(jobId, round);
    this.verified.set(jobId, { enclave, at: Date.now() });
    return enclave;
  }

  /**
   * Forgets the job's verification: its round was sent again, so the job may now be driven by another aggregator
   * replica, with another enclave, without this silo's session having broken.
   */
  forgetJob(jobId: string): void {
    this.verified.delete(jobId);
  }

  /** Forgets every verification: the aggregator (and so its enclave) may have restarted. */
  forget(): void {
    this.verified.clear();
  }

  private async attest(jobId: string, round: number): Promise<TrustedEnclave> {
    const nonce = randomBytes(32);
    const attestation = await lastValueFrom(
      this.federation.getEnclaveAttestation({ siloId: this.config.siloId, jobId, round, nonce }),
    );
    try {
      const verified = await this.trust.verifier.verify(attestation.token, {
        audience: this.trust.audience,
        allowedMeasurements: this.trust.policy.measurements,
        allowDebug: this.trust.policy.allowDebug,
        expectedNonce: nonce,
        maxAgeSeconds: MAX_TOKEN_AGE_SECONDS,
      });
      await assertKeyBinding(verified, x25519Jwk(attestation.hpkePublicKey));
      await assertKeyBinding(verified, ed25519Jwk(attestation.signingPublicKey), 'signing');
      this.log.info(
        {
          audit: true,
          jobId,
          round,
          verifier: verified.verifier,
          measurement: verified.measurement,
          insecureDev: verified.insecureDev,
        },
        verified.insecureDev
          ? 'enclave attestation verified (INSECURE DEV authority: not for real patient data)'
          : 'enclave attestation verified',
      );
      await this.audit.record('attestation.verified', `job:${jobId}`, {
        jobId,
        round,
        component: 'enclave',
        verifier: verified.verifier,
        measurement: verified.measurement,
        insecureDev: verified.insecureDev,
      });
      return {
        hpkePublicKey: attestation.hpkePublicKey,
        signingKey: publicKeyFromRaw(attestation.signingPublicKey),
        measurement: verified.measurement,
        verifier: verified.verifier,
      };
    } catch (err) {
      const code = err instanceof AttestationError ? err.code : 'ATTESTATION_MALFORMED';
      this.log.warn(
        { audit: true, jobId, round, code, reason: (err as Error).message },
        'enclave attestation refused',
      );
      await this.audit.record('attestation.refused', `job:${jobId}`, {
        jobId,
        round,
        component: 'enclave',
        code,
        reason: (err as Error).message,
      });
      throw new EnclaveRefused(
        code,
        `the enclave's attestation was refused (${code}): ${(err as Error).message}`,
      );
    }
  }
}

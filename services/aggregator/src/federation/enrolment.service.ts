import { Inject, Injectable } from '@nestjs/common';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import { createJoinToken, fingerprintOf, hashJoinToken, publicKeyFromRaw } from '@cohort/identity';
import { LocalCa, signClientCertificate } from '@cohort/pki';
import type { EnrollRequest, EnrollResponse, SiloInfo, SiloInvitation } from '@cohort/protocol';
import { AggregatorErrorCode, AggregatorException } from '../common/aggregator.exception.js';
import { AuditTrail } from '../audit/audit-trail.service.js';
import { LOGGER } from '../common/logger.provider.js';
import { AggregatorConfig } from '../config.js';
import { AgentAttestation } from '../trust/agent-attestation.service.js';
import { SILO_NAME_PATTERN, SiloGuard } from '../trust/silo-guard.service.js';
import { TRUST, type AggregatorTrust } from '../trust/trust.provider.js';
import { SiloRepository, type SiloRow } from './silo.repository.js';
import { SiloSessions } from './silo-sessions.service.js';

const DEFAULT_INVITATION_TTL_SECONDS = 86_400;
const MAX_INVITATION_TTL_SECONDS = 7 * 86_400;

const refusals: Record<
  'unknown' | 'used' | 'expired' | 'wrong-silo' | 'revoked',
  [AggregatorErrorCode, string]
> = {
  unknown: [AggregatorErrorCode.JOIN_TOKEN_UNKNOWN, 'the join token is not known to this federation'],
  used: [AggregatorErrorCode.JOIN_TOKEN_USED, 'the join token has already been used (tokens work once)'],
  expired: [
    AggregatorErrorCode.JOIN_TOKEN_EXPIRED,
    'the join token has expired; ask the site admin for a new one',
  ],
  'wrong-silo': [AggregatorErrorCode.JOIN_TOKEN_WRONG_SILO, 'the join token was issued for another silo'],
  revoked: [
    AggregatorErrorCode.SILO_REVOKED,
    'this silo has been revoked and cannot enrol again under its name',
  ],
};

function refusal(kind: keyof typeof refusals): AggregatorException {
  const [code, message] = refusals[kind];
  return new AggregatorException(code, message);
}

/** Invitations, enrolment with a one-time join token, and revocation. */
@Injectable()
export class EnrolmentService {
  private ca: Promise<LocalCa> | undefined;

  constructor(
    private readonly silos: SiloRepository,
    private readonly sessions: SiloSessions,
    private readonly agents: AgentAttestation,
    private readonly guard: SiloGuard,
    private readonly config: AggregatorConfig,
    @Inject(TRUST) private readonly trust: AggregatorTrust,
    @Inject(LOGGER) private readonly log: Logger,
    private readonly audit: AuditTrail,
  ) {}

  async invite(siloName: string, ttlSeconds: number, requestedBy: string): Promise<SiloInvitation> {
    requireName(siloName);
    const ttl = ttlSeconds || DEFAULT_INVITATION_TTL_SECONDS;
    if (ttl < 60 || ttl > MAX_INVITATION_TTL_SECONDS) {
      throw new AggregatorException(
        AggregatorErrorCode.ENROLMENT_INVALID,
        `ttl must be 60-${MAX_INVITATION_TTL_SECONDS} s`,
        [{ field: 'ttlSeconds', message: `must be 60-${MAX_INVITATION_TTL_SECONDS}` }],
      );
    }
    const existing = await this.silos.get(siloName);
    if (existing?.status === 'revoked') throw refusal('revoked');
    if (existing?.status === 'enrolled') {
      throw new AggregatorException(
        AggregatorErrorCode.SILO_ALREADY_ENROLLED,
        `silo "${siloName}" is already enrolled; revoke it first to enrol a new key`,
      );
    }
    const token = createJoinToken(siloName, ttl * 1000);
    await this.silos.invite(
      siloName,
      token.tokenHash,
      new Date(token.expiresAtUnixMs),
      requestedBy || 'unknown',
    );
    this.log.info(
      { audit: true, siloName, by: requestedBy, expiresAt: token.expiresAtUnixMs },
      'silo invited',
    );
    await this.audit.record(`user:${requestedBy || 'unknown'}`, 'silo.invited', `silo:${siloName}`, {
      siloId: siloName,
      expiresAt: new Date(token.expiresAtUnixMs).toISOString(),
    });
    return { siloName, joinToken: token.token, expiresAtUnixMs: token.expiresAtUnixMs };
  }

  async enrol(request: EnrollRequest): Promise<EnrollResponse> {
    const name = request.siloName;
    try {
      requireName(name);
      if (request.siloPublicKey?.byteLength !== 32) {
        throw new AggregatorException(
          AggregatorErrorCode.ENROLMENT_INVALID,
          'the identity key must be a 32-byte Ed25519 public key',
        );
      }
      publicKeyFromRaw(request.siloPublicKey);
      let tokenHash: string;
      try {
        tokenHash = hashJoinToken(request.joinToken);
      } catch {
        throw refusal('unknown');
      }
      await this.agents.verify(name, request.agentAttestationToken, request.siloPublicKey);
      const certificatePem = await this.issueCertificate(name, request.tlsCsrPem);
      const fingerprint = fingerprintOf(request.siloPublicKey);
      const refused = await this.silos.enrol(
        name,
        tokenHash,
        Buffer.from(request.siloPublicKey),
        fingerprint,
      );
      if (refused) throw refusal(refused);
      this.guard.invalidate(name);
      this.log.info({ audit: true, siloName: name, keyFingerprint: fingerprint }, 'silo enrolled');
      await this.audit.record(`silo:${name}`, 'silo.enrolled', `silo:${name}`, {
        siloId: name,
        keyFingerprint: fingerprint,
      });
      return {
        siloId: name,
        certificatePem: Buffer.from(certificatePem),
        caCertificatePem: Buffer.from(this.trust.caCertPem ?? ''),
      };
    } catch (err) {
      if (err instanceof AggregatorException) {
        this.log.warn(
          { audit: true, siloName: name, code: err.code, reason: err.message },
          'enrolment refused',
        );
        await this.audit.recordRefusal(
          `silo:${name || '(unnamed)'}`,
          'silo.enrolment_refused',
          `silo:${name || '(unnamed)'}`,
          {
            siloId: name,
            code: err.code,
            reason: err.message,
          },
        );
      }
      throw err;
    }
  }

  async revoke(siloName: string, requestedBy: string, reason: string): Promise<SiloInfo> {
    requireName(siloName);
    const row = await this.silos.revoke(siloName, reason || `revoked by ${requestedBy || 'unknown'}`);
    if (!row)
      throw new AggregatorException(AggregatorErrorCode.SILO_UNKNOWN, `no silo is named "${siloName}"`);
    this.guard.invalidate(siloName);
    this.sessions.close(siloName);
    this.log.warn({ audit: true, siloName, by: requestedBy, reason }, 'silo revoked');
    await this.audit.record(`user:${requestedBy || 'unknown'}`, 'silo.revoked', `silo:${siloName}`, {
      siloId: siloName,
      reason,
    });
    return this.info(row);
  }

  info(row: SiloRow): SiloInfo {
    return {
      siloId: row.siloId,
      connected: this.sessions.isConnected(row.siloId),
      lastSeenUnixMs: row.lastSeen.getTime(),
      datasetIds: row.datasetIds,
      status: row.status,
      enrolledAtUnixMs: row.enrolledAt?.getTime() ?? 0,
      keyFingerprint: row.keyFingerprint ?? '',
    };
  }

  /** With a local CA the aggregator signs the silo's TLS key; with a hospital CA the silo brings its own. */
  private async issueCertificate(name: string, csrPem: string): Promise<string> {
    if (!this.config.tls?.caKeyFile) return '';
    if (!csrPem) {
      throw new AggregatorException(
        AggregatorErrorCode.ENROLMENT_INVALID,
        'a certificate request (tlsCsrPem) is required',
      );
    }
    this.ca ??= LocalCa.load(dirname(this.config.tls.caKeyFile));
    try {
      return await signClientCertificate(await this.ca, csrPem, { commonName: name });
    } catch (err) {
      throw new AggregatorException(
        AggregatorErrorCode.ENROLMENT_INVALID,
        `the certificate request is invalid: ${(err as Error).message}`,
      );
    }
  }
}

function requireName(name: string): void {
  if (!SILO_NAME_PATTERN.test(name)) {
    throw new AggregatorException(
      AggregatorErrorCode.SILO_NAME_INVALID,
      `silo name ${JSON.stringify(name)} is invalid (1-63 letters, digits, '.', '_' or '-')`,
      [
        {
          field: 'siloName',
          message: 'must be 1-63 letters, digits, ".", "_" or "-", starting with a letter or digit',
        },
      ],
    );
  }
}

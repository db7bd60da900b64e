import { Inject, Injectable } from '@nestjs/common';
import type { KeyObject } from 'node:crypto';
import type { Logger } from 'pino';
import { publicKeyFromRaw } from '@cohort/identity';
import { AggregatorErrorCode, AggregatorException } from '../common/aggregator.exception.js';
import { AuditTrail } from '../audit/audit-trail.service.js';
import { LOGGER } from '../common/logger.provider.js';
import { AggregatorConfig } from '../config.js';
import { SiloRepository, type SiloRow } from '../federation/silo.repository.js';
import { peerCommonName, type CallLike } from './peer.js';

export const SILO_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

export interface TrustedSilo extends SiloRow {
  key: KeyObject;
}

/**
 * How long a silo's record is reused between messages. A revocation through this aggregator takes effect at
 * once (the entry is dropped); one made through another replica within this window.
 */
const RECORD_TTL_MS = 2_000;

/** Every silo message passes here: an enrolled, unrevoked silo, speaking over its own mTLS certificate. */
@Injectable()
export class SiloGuard {
  private readonly keys = new Map<string, KeyObject>();
  private readonly records = new Map<string, { row: SiloRow | undefined; at: number }>();

  constructor(
    private readonly silos: SiloRepository,
    private readonly config: AggregatorConfig,
    @Inject(LOGGER) private readonly log: Logger,
    private readonly audit: AuditTrail,
  ) {}

  /** Drops the cached record: the next message re-reads the silo's status (revocation). */
  invalidate(siloId: string): void {
    this.records.delete(siloId);
  }

  /** Every message is checked: name, certificate, enrolment and status, with the record cached only briefly. */
  async require(siloId: string, call: CallLike, action: string): Promise<TrustedSilo> {
    const refuse = async (code: AggregatorErrorCode, message: string): Promise<AggregatorException> => {
      this.log.warn({ audit: true, siloId, action, code, reason: message }, 'silo refused');
      const who = `silo:${siloId.slice(0, 100) || '(none)'}`;
      await this.audit.recordRefusal(who, 'auth.refused', who, {
        siloId: siloId.slice(0, 100),
        action,
        code,
        reason: message,
      });
      return new AggregatorException(code, message);
    };
    if (!SILO_NAME_PATTERN.test(siloId)) {
      throw await refuse(
        AggregatorErrorCode.SILO_NAME_INVALID,
        `silo id ${JSON.stringify(siloId)} is not a valid silo name`,
      );
    }
    if (this.config.tls) {
      const cn = peerCommonName(call);
      if (cn !== siloId) {
        throw await refuse(
          AggregatorErrorCode.SILO_CERT_MISMATCH,
          cn
            ? `the client certificate is for "${cn}", not for silo "${siloId}"`
            : `silo "${siloId}" did not present a client certificate signed by the federation's CA`,
        );
      }
    }
    const silo = await this.record(siloId);
    if (!silo || silo.status === 'invited' || !silo.publicKey || !silo.keyFingerprint) {
      throw await refuse(AggregatorErrorCode.SILO_NOT_ENROLLED, `silo "${siloId}" is not enrolled`);
    }
    if (silo.status === 'revoked')
      throw await refuse(AggregatorErrorCode.SILO_REVOKED, `silo "${siloId}" has been revoked`);
    let key = this.keys.get(silo.keyFingerprint);
    if (!key) {
      key = publicKeyFromRaw(silo.publicKey);
      this.keys.set(silo.keyFingerprint, key);
    }
    return { ...silo, key };
  }

  private async record(siloId: string): Promise<SiloRow | undefined> {
    const cached = this.records.get(siloId);
    if (cached && Date.now() - cached.at < RECORD_TTL_MS) return cached.row;
    const row = await this.silos.get(siloId);
    this.records.set(siloId, { row, at: Date.now() });
    return row;
  }
}

import { Inject, Injectable } from '@nestjs/common';
import type { AuditAction, AuditEntry } from '@cohort/audit';
import type { Logger } from 'pino';
import { LOGGER } from '../common/logger.provider.js';

export const AUDIT_LOG = Symbol('AUDIT_LOG');

/** What the trail needs of the audit library's writer (group-committed appends, signed checkpoints). */
export interface AuditWriter {
  append(input: {
    actor: string;
    action: AuditAction;
    subject: string;
    details?: Record<string, unknown>;
  }): Promise<AuditEntry>;
  checkpoint(): Promise<unknown>;
}

/**
 * The aggregator's audit trail: every security- and privacy-relevant step becomes a hash-chained entry in the
 * database. Details are counts, codes, digests and ids; never record values.
 */
@Injectable()
export class AuditTrail {
  constructor(
    @Inject(AUDIT_LOG) private readonly writer: AuditWriter,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  /** Appends the entry (durably, before it resolves); throws when the database refuses it. */
  async record(
    actor: string,
    action: AuditAction,
    subject: string,
    details: Record<string, unknown> = {},
  ): Promise<AuditEntry> {
    // The call sites keep their own lines in the operators' log; the trail is the record of evidence.
    return this.writer.append({ actor, action, subject, details });
  }

  /**
   * For refusal paths, which already answer with an error of their own: a failure to audit is logged loudly but
   * does not replace the refusal the caller is about to send.
   */
  async recordRefusal(
    actor: string,
    action: AuditAction,
    subject: string,
    details: Record<string, unknown> = {},
  ): Promise<void> {
    try {
      await this.record(actor, action, subject, details);
    } catch (err) {
      this.log.error({ err, actor, action, subject, ...details }, 'AUDIT WRITE FAILED for a refusal');
    }
  }

  /** Signs a checkpoint over the entries since the last one (at every round end; a timer covers the rest). */
  async checkpoint(): Promise<void> {
    await this.writer.checkpoint();
  }
}

import { Inject, Injectable } from '@nestjs/common';
import type { KeyObject } from 'node:crypto';
import {
  canonicalJson,
  exportCsv,
  exportJsonLines,
  verifyAuditStore,
  type AuditEntry,
  type AuditFilter,
  type AuditStore,
} from '@cohort/audit';
import type {
  AuditEntry as AuditEntryMessage,
  AuditFilter as AuditFilterMessage,
  AuditVerification,
  ExportAuditRequest,
  ListAuditRequest,
  ListAuditResponse,
  RecordAuditRequest,
} from '@cohort/protocol';
import { AggregatorErrorCode, AggregatorException } from '../common/aggregator.exception.js';
import { AuditTrail } from './audit-trail.service.js';

export const AUDIT_STORE = Symbol('AUDIT_STORE');
/** The public keys whose checkpoints this aggregator trusts (its own audit key). */
export const AUDIT_PUBLIC_KEYS = Symbol('AUDIT_PUBLIC_KEYS');

const MAX_PAGE = 10_000;
// What the gateway may write in its own name: events only it sees.
const GATEWAY_ACTIONS = new Set(['auth.refused', 'request.refused', 'audit.exported']);

export function toFilter(f: AuditFilterMessage | undefined): AuditFilter {
  return {
    ...(f?.jobId ? { jobId: f.jobId } : {}),
    ...(f?.siloId ? { siloId: f.siloId } : {}),
    ...(f?.actor ? { actor: f.actor } : {}),
    ...(f?.subject ? { subject: f.subject } : {}),
    ...(f?.actions.length ? { action: f.actions } : {}),
    ...(f?.sinceUnixMs ? { since: new Date(f.sinceUnixMs) } : {}),
    ...(f?.untilUnixMs ? { until: new Date(f.untilUnixMs) } : {}),
  };
}

export function toEntryMessage(e: AuditEntry): AuditEntryMessage {
  return {
    seq: e.seq,
    time: e.time,
    actor: e.actor,
    action: e.action,
    subject: e.subject,
    detailsJson: canonicalJson(e.details),
    prevHash: e.prevHash,
    hash: e.hash,
  };
}

/** Compliance queries over the trail: pages, verification in place, and the gateway's own events. */
@Injectable()
export class AuditService {
  constructor(
    @Inject(AUDIT_STORE) private readonly store: AuditStore,
    @Inject(AUDIT_PUBLIC_KEYS) private readonly publicKeys: readonly KeyObject[],
    private readonly trail: AuditTrail,
  ) {}

  async list(request: ListAuditRequest): Promise<ListAuditResponse> {
    const filter = toFilter(request.filter);
    const limit = Math.min(request.limit || 100, MAX_PAGE);
    const [entries, total] = await Promise.all([
      this.store.listEntries(filter, { afterSeq: request.afterSeq, limit }),
      this.store.count(filter),
    ]);
    const last = entries[entries.length - 1];
    return {
      entries: entries.map(toEntryMessage),
      nextAfterSeq: entries.length === limit && last ? last.seq : 0,
      total,
    };
  }

  /**
   * The export, line by line (the audit library's format: header, matching entries, the checkpoints covering
   * them, footer), audited under the principal before the first line leaves.
   */
  async *export(request: ExportAuditRequest): AsyncGenerator<string> {
    const format = request.format || 'jsonl';
    if (format !== 'jsonl' && format !== 'csv') {
      throw new AggregatorException(
        AggregatorErrorCode.AUDIT_REQUEST_INVALID,
        `export format must be jsonl or csv, got ${JSON.stringify(format)}`,
      );
    }
    const filter = toFilter(request.filter);
    await this.trail.record(`user:${request.requestedBy || 'unknown'}`, 'audit.exported', 'audit:trail', {
      format,
      filter: JSON.parse(JSON.stringify(filter)) as Record<string, unknown>,
    });
    yield* format === 'jsonl' ? exportJsonLines(this.store, filter) : exportCsv(this.store, filter);
  }

  async verify(): Promise<AuditVerification> {
    const v = await verifyAuditStore(this.store, this.publicKeys);
    const checkpoints = await this.store.listCheckpoints({ limit: MAX_PAGE });
    return {
      ok: v.ok,
      entries: v.entries,
      checkpoints: v.checkpoints,
      firstBrokenSeq: v.firstBrokenSeq ?? 0,
      faultCode: v.fault?.code ?? '',
      message: v.fault?.message ?? '',
      uncheckpointedTail: v.uncheckpointedTail,
      signers: [...new Set(checkpoints.map((c) => c.signer))],
    };
  }

  async record(request: RecordAuditRequest): Promise<AuditEntryMessage> {
    if (!GATEWAY_ACTIONS.has(request.action)) {
      throw new AggregatorException(
        AggregatorErrorCode.AUDIT_REQUEST_INVALID,
        `the gateway may record only ${[...GATEWAY_ACTIONS].join(', ')}, not ${request.action}`,
      );
    }
    let details: unknown;
    try {
      details = JSON.parse(request.detailsJson || '{}');
    } catch (err) {
      throw new AggregatorException(
        AggregatorErrorCode.AUDIT_REQUEST_INVALID,
        `details_json is not JSON: ${(err as Error).message}`,
      );
    }
    if (typeof details !== 'object' || details === null || Array.isArray(details)) {
      throw new AggregatorException(
        AggregatorErrorCode.AUDIT_REQUEST_INVALID,
        'details_json must be a JSON object',
      );
    }
    return toEntryMessage(
      await this.trail.record(
        request.actor,
        request.action,
        request.subject,
        details as Record<string, unknown>,
      ),
    );
  }
}

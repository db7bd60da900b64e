import type { AuditEntry as AuditEntryMessage, AuditVerification, ListAuditResponse } from '@cohort/protocol';

/** One audit entry as the REST API shows it: the hashed fields exactly, details parsed. */
export interface AuditEntryView {
  seq: number;
  time: string;
  actor: string;
  action: string;
  subject: string;
  details: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

export interface AuditPageView {
  entries: AuditEntryView[];
  /** Pass as afterSeq for the next page; absent on the last page. */
  nextAfterSeq?: number;
  total: number;
}

export interface AuditVerificationView {
  ok: boolean;
  entries: number;
  checkpoints: number;
  firstBrokenSeq?: number;
  fault?: { code: string; message: string };
  uncheckpointedTail: number;
  signers: string[];
}

export function toAuditEntryView(e: AuditEntryMessage): AuditEntryView {
  return {
    seq: e.seq,
    time: e.time,
    actor: e.actor,
    action: e.action,
    subject: e.subject,
    details: JSON.parse(e.detailsJson || '{}') as Record<string, unknown>,
    prevHash: e.prevHash,
    hash: e.hash,
  };
}

export function toAuditPageView(r: ListAuditResponse): AuditPageView {
  return {
    entries: r.entries.map(toAuditEntryView),
    ...(r.nextAfterSeq > 0 ? { nextAfterSeq: r.nextAfterSeq } : {}),
    total: r.total,
  };
}

export function toAuditVerificationView(v: AuditVerification): AuditVerificationView {
  return {
    ok: v.ok,
    entries: v.entries,
    checkpoints: v.checkpoints,
    ...(v.ok ? {} : { firstBrokenSeq: v.firstBrokenSeq, fault: { code: v.faultCode, message: v.message } }),
    uncheckpointedTail: v.uncheckpointedTail,
    signers: v.signers,
  };
}

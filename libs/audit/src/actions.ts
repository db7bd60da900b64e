// The actions Cohort records. The list documents the vocabulary and gives callers autocompletion; any
// dotted lowercase action is accepted, so a new event can be audited before this list learns its name.

export const AUDIT_ACTIONS = [
  'job.submitted',
  'job.cancelled',
  'job.accepted',
  'job.declined',
  'job.completed',
  'job.failed',
  'silo.invited',
  'silo.enrolled',
  'silo.enrolment_refused',
  'silo.revoked',
  'attestation.verified',
  'attestation.refused',
  'update.accepted',
  'update.rejected',
  'aggregate.released',
  'privacy.spent',
  'model.downloaded',
  'audit.exported',
  'auth.refused',
  'outlier.flagged',
  'round.failed',
  // Written by silo agents into their local log.
  'update.sent',
  'round.declined',
] as const;

export type KnownAuditAction = (typeof AUDIT_ACTIONS)[number];

/** A known action, or any other string matching AUDIT_ACTION_PATTERN (checked at append time). */
// `string & {}` keeps editors suggesting the known names instead of widening the union to plain string.
export type AuditAction = KnownAuditAction | (string & {});

/** Lowercase words joined by dots, at least two: "job.submitted", "silo.enrolment_refused". */
export const AUDIT_ACTION_PATTERN = /^[a-z]+(\.[a-z_]+)+$/;

const KNOWN = new Set<string>(AUDIT_ACTIONS);

export function isKnownAuditAction(action: string): action is KnownAuditAction {
  return KNOWN.has(action);
}

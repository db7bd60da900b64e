// A silo's own log against the aggregator's: every update the silo says it sent should appear, with the same
// digest, as accepted by the aggregator, and the aggregator should have accepted nothing in the silo's name
// that the silo never sent. Each side's log is checked on its own with verifyAudit; this compares contents.
import { AuditError } from './audit-error.js';
import type { AuditEntry } from './entry.js';

/** Details of a silo's `update.sent` entry, written to its local log once the enclave's receipt arrived. */
export interface UpdateSentDetails {
  jobId: string;
  round: number;
  /** Lowercase hex SHA-256 of the sealed update payload as uploaded: what the update signature covers. */
  updateDigest: string;
  /** Privacy spent by this round's update, when differential privacy is on. */
  epsilon?: number;
  /** The silo's id, when the entry's actor is not "silo:<id>". */
  siloId?: string;
}

/** Details of the aggregator's `update.accepted` entry. */
export interface UpdateAcceptedDetails {
  jobId: string;
  round: number;
  siloId: string;
  /** The same digest, computed by the aggregator over the bytes it received. */
  updateDigest: string;
}

/** Details of the aggregator's `update.rejected` entry, as far as the cross-check reads them. */
export interface UpdateRejectedDetails {
  jobId: string;
  round: number;
  siloId: string;
  reason?: string;
}

export interface CrossCheckMatch {
  jobId: string;
  round: number;
  updateDigest: string;
  siloSeq: number;
  aggregatorSeq: number;
}

export interface CrossCheckMismatch {
  jobId: string;
  round: number;
  siloDigest: string;
  aggregatorDigest: string;
  siloSeq: number;
  aggregatorSeq: number;
}

export interface CrossCheckOneSided {
  jobId: string;
  round: number;
  updateDigest: string;
  seq: number;
  /** For an update only the silo records: the aggregator's update.rejected entry for that job and round. */
  rejectedSeq?: number;
}

export interface CrossCheckResult {
  siloId: string;
  /** No digest mismatch, nothing accepted that the silo did not send, every unaccepted update rejected on record. */
  ok: boolean;
  matched: CrossCheckMatch[];
  digestMismatches: CrossCheckMismatch[];
  /** Sent by the silo, never accepted: rejected (rejectedSeq), lost, or missing from the aggregator's log. */
  onlySilo: CrossCheckOneSided[];
  /** Accepted in the silo's name, never sent according to the silo: forged, replayed, or missing from its log. */
  onlyAggregator: CrossCheckOneSided[];
  /** update.sent / update.accepted entries whose details lack the fields above. */
  unreadable: { side: 'silo' | 'aggregator'; seq: number; problem: string }[];
}

type Entries = AsyncIterable<AuditEntry> | Iterable<AuditEntry>;

interface Update {
  jobId: string;
  round: number;
  digest: string;
  seq: number;
}

const DIGEST = /^[0-9a-f]{64}$/;

/**
 * Compares one silo's `update.sent` entries with the aggregator's `update.accepted` (and `update.rejected`)
 * entries for that silo, by job and round. `siloId` defaults to the one the silo's entries name; entries of
 * other silos in the aggregator's log are ignored.
 */
export async function crossCheck(
  siloEntries: Entries,
  aggregatorEntries: Entries,
  options: { siloId?: string } = {},
): Promise<CrossCheckResult> {
  const unreadable: CrossCheckResult['unreadable'] = [];
  const sent: Update[] = [];
  const siloIds = new Set<string>();
  for await (const entry of siloEntries) {
    if (entry.action !== 'update.sent') continue;
    const update = readUpdate(entry, false);
    if (typeof update === 'string') {
      unreadable.push({ side: 'silo', seq: entry.seq, problem: update });
      continue;
    }
    const id =
      stringField(entry.details.siloId) ??
      (entry.actor.startsWith('silo:') ? entry.actor.slice(5) : undefined);
    if (id) siloIds.add(id);
    sent.push(update);
  }
  const siloId = options.siloId ?? onlyOne(siloIds);
  const accepted: Update[] = [];
  const rejected = new Map<string, number>();
  for await (const entry of aggregatorEntries) {
    if (entry.action !== 'update.accepted' && entry.action !== 'update.rejected') continue;
    if (entry.details.siloId !== siloId) continue;
    if (entry.action === 'update.rejected') {
      const { jobId, round } = entry.details;
      if (typeof jobId === 'string' && typeof round === 'number')
        rejected.set(keyOf(jobId, round), entry.seq);
      continue;
    }
    const update = readUpdate(entry, true);
    if (typeof update === 'string') unreadable.push({ side: 'aggregator', seq: entry.seq, problem: update });
    else accepted.push(update);
  }

  const result: CrossCheckResult = {
    siloId,
    ok: false,
    matched: [],
    digestMismatches: [],
    onlySilo: [],
    onlyAggregator: [],
    unreadable,
  };
  const bySilo = groupByKey(sent);
  const byAggregator = groupByKey(accepted);
  for (const key of new Set([...bySilo.keys(), ...byAggregator.keys()])) {
    const ours = [...(bySilo.get(key) ?? [])];
    const theirs = [...(byAggregator.get(key) ?? [])];
    // Equal digests pair first, so a retried send that the aggregator accepted once is not a mismatch.
    for (let i = 0; i < ours.length;) {
      const j = theirs.findIndex((t) => t.digest === ours[i].digest);
      if (j < 0) {
        i++;
        continue;
      }
      const [s] = ours.splice(i, 1);
      const [a] = theirs.splice(j, 1);
      result.matched.push({
        jobId: s.jobId,
        round: s.round,
        updateDigest: s.digest,
        siloSeq: s.seq,
        aggregatorSeq: a.seq,
      });
    }
    while (ours.length > 0 && theirs.length > 0) {
      const s = ours.shift()!;
      const a = theirs.shift()!;
      result.digestMismatches.push({
        jobId: s.jobId,
        round: s.round,
        siloDigest: s.digest,
        aggregatorDigest: a.digest,
        siloSeq: s.seq,
        aggregatorSeq: a.seq,
      });
    }
    for (const s of ours) {
      const one: CrossCheckOneSided = { jobId: s.jobId, round: s.round, updateDigest: s.digest, seq: s.seq };
      const rejectedSeq = rejected.get(key);
      if (rejectedSeq !== undefined) one.rejectedSeq = rejectedSeq;
      result.onlySilo.push(one);
    }
    for (const a of theirs) {
      result.onlyAggregator.push({ jobId: a.jobId, round: a.round, updateDigest: a.digest, seq: a.seq });
    }
  }
  const bySeq = (a: { seq?: number; siloSeq?: number }, b: { seq?: number; siloSeq?: number }) =>
    (a.siloSeq ?? a.seq ?? 0) - (b.siloSeq ?? b.seq ?? 0);
  result.matched.sort(bySeq);
  result.digestMismatches.sort(bySeq);
  result.onlySilo.sort(bySeq);
  result.onlyAggregator.sort(bySeq);
  result.ok =
    result.digestMismatches.length === 0 &&
    result.onlyAggregator.length === 0 &&
    result.unreadable.length === 0 &&
    result.onlySilo.every((s) => s.rejectedSeq !== undefined);
  return result;
}

function readUpdate(entry: AuditEntry, needSilo: boolean): Update | string {
  const { jobId, round, updateDigest, siloId } = entry.details;
  if (typeof jobId !== 'string' || jobId === '') return 'details.jobId is missing';
  if (typeof round !== 'number' || !Number.isSafeInteger(round) || round < 0)
    return 'details.round is not a round number';
  if (typeof updateDigest !== 'string' || !DIGEST.test(updateDigest)) {
    return 'details.updateDigest is not a lowercase hex SHA-256';
  }
  if (needSilo && typeof siloId !== 'string') return 'details.siloId is missing';
  return { jobId, round, digest: updateDigest, seq: entry.seq };
}

function groupByKey(updates: Update[]): Map<string, Update[]> {
  const groups = new Map<string, Update[]>();
  for (const u of updates) {
    const key = keyOf(u.jobId, u.round);
    const group = groups.get(key);
    if (group) group.push(u);
    else groups.set(key, [u]);
  }
  return groups;
}

function keyOf(jobId: string, round: number): string {
  return `${jobId}\u0000${round}`;
}

function stringField(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function onlyOne(ids: Set<string>): string {
  if (ids.size === 1) return [...ids][0];
  throw new AuditError(
    'INVALID_ARGUMENT',
    ids.size === 0
      ? 'the silo log names no silo (no update.sent entry with a silo:<id> actor or details.siloId); pass siloId'
      : `the silo log names several silos (${[...ids].join(', ')}); pass siloId`,
  );
}

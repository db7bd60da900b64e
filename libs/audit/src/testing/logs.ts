// Builds signed logs for tests: entries chained from seq 1 and checkpoints at chosen seqs.
import {
  createCheckpoint,
  createCheckpointSigner,
  type AuditCheckpoint,
  type CheckpointSigner,
} from '../checkpoint.js';
import { chainEntries, EMPTY_HEAD, prepareDraft, type AuditEntry } from '../entry.js';
import { rfc8037Key } from './keys.js';

export const auditKey = rfc8037Key();
export const auditSigner = createCheckpointSigner(auditKey.privateKey);

export interface TestLog {
  entries: AuditEntry[];
  checkpoints: AuditCheckpoint[];
}

export function testEntries(count: number, firstTime = Date.UTC(2025, 2, 1)): AuditEntry[] {
  const drafts = Array.from({ length: count }, (_, i) =>
    prepareDraft({
      time: new Date(firstTime + i * 250),
      actor: i % 5 === 0 ? 'user:alice' : 'aggregator',
      action: i % 5 === 0 ? 'job.submitted' : 'update.accepted',
      subject: `job:j${i % 3}`,
      details: { i, jobId: `j${i % 3}`, siloId: ['cleveland', 'hungary', 'va'][i % 3], note: 'é', ok: true },
    }),
  );
  return chainEntries(EMPTY_HEAD, drafts);
}

/** Checkpoints ending at each of `ends` (ascending seqs within the entries). */
export async function checkpointsAt(
  entries: AuditEntry[],
  ends: number[],
  signer: CheckpointSigner = auditSigner,
): Promise<AuditCheckpoint[]> {
  const checkpoints: AuditCheckpoint[] = [];
  for (const end of ends) {
    const previous = checkpoints.at(-1) ?? null;
    const from = previous?.toSeq ?? 0;
    const checkpoint = await createCheckpoint({
      previous,
      head: { seq: end, hash: entries[end - 1].hash },
      hashes: entries.slice(from, end).map((e) => e.hash),
      time: entries[end - 1].time,
      signer,
    });
    checkpoints.push(checkpoint!);
  }
  return checkpoints;
}

export async function testLog(count: number, ends: number[]): Promise<TestLog> {
  const entries = testEntries(count);
  return { entries, checkpoints: await checkpointsAt(entries, ends) };
}

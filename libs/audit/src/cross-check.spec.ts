import { createHash } from 'node:crypto';
import { crossCheck, type UpdateAcceptedDetails, type UpdateSentDetails } from './cross-check.js';
import { MemoryAuditStore } from './memory-store.js';
import { prepareDraft, type AuditEntry } from './entry.js';
import { readEntries } from './store.js';

const digest = (text: string) => createHash('sha256').update(text).digest('hex');

async function log(entries: Parameters<typeof prepareDraft>[0][]): Promise<AuditEntry[]> {
  const store = new MemoryAuditStore();
  return store.append(entries.map((e) => prepareDraft({ time: '2025-03-01T12:00:00.000Z', ...e })));
}

const sent = (jobId: string, round: number, payload: string, extra: Partial<UpdateSentDetails> = {}) => ({
  actor: 'silo:cleveland',
  action: 'update.sent',
  subject: `job:${jobId}`,
  details: {
    jobId,
    round,
    updateDigest: digest(payload),
    epsilon: 0.1,
    ...extra,
  } satisfies UpdateSentDetails,
});
const accepted = (jobId: string, round: number, payload: string, siloId = 'cleveland') => ({
  actor: 'aggregator',
  action: 'update.accepted',
  subject: `job:${jobId}`,
  details: { jobId, round, siloId, updateDigest: digest(payload) } satisfies UpdateAcceptedDetails,
});

describe('crossCheck', () => {
  it('matches every sent update to its acceptance, ignoring other silos and actions', async () => {
    const silo = await log([
      sent('j1', 1, 'a'),
      { actor: 'silo:cleveland', action: 'round.declined', subject: 'job:j2', details: {} },
      sent('j1', 2, 'b'),
    ]);
    const aggregator = await log([
      accepted('j1', 1, 'a'),
      accepted('j1', 1, 'zz', 'hungary'),
      accepted('j1', 2, 'b'),
    ]);
    const result = await crossCheck(silo, aggregator);
    expect(result).toMatchObject({
      siloId: 'cleveland',
      ok: true,
      digestMismatches: [],
      onlySilo: [],
      onlyAggregator: [],
      unreadable: [],
    });
    expect(result.matched).toEqual([
      { jobId: 'j1', round: 1, updateDigest: digest('a'), siloSeq: 1, aggregatorSeq: 1 },
      { jobId: 'j1', round: 2, updateDigest: digest('b'), siloSeq: 3, aggregatorSeq: 3 },
    ]);
  });

  it('reports a digest mismatch, an update only the silo sent, and one only the aggregator accepted', async () => {
    const silo = await log([sent('j1', 1, 'a'), sent('j1', 2, 'b'), sent('j1', 3, 'c')]);
    const aggregator = await log([
      accepted('j1', 1, 'a'),
      accepted('j1', 2, 'tampered'),
      accepted('j1', 4, 'forged'),
    ]);
    const result = await crossCheck(silo, aggregator);
    expect(result.ok).toBe(false);
    expect(result.matched.map((m) => m.round)).toEqual([1]);
    expect(result.digestMismatches).toEqual([
      {
        jobId: 'j1',
        round: 2,
        siloDigest: digest('b'),
        aggregatorDigest: digest('tampered'),
        siloSeq: 2,
        aggregatorSeq: 2,
      },
    ]);
    expect(result.onlySilo).toEqual([{ jobId: 'j1', round: 3, updateDigest: digest('c'), seq: 3 }]);
    expect(result.onlyAggregator).toEqual([
      { jobId: 'j1', round: 4, updateDigest: digest('forged'), seq: 3 },
    ]);
  });

  it('accepts an update the aggregator rejected on record, and pairs a retried send with its one acceptance', async () => {
    const silo = await log([sent('j1', 1, 'first try'), sent('j1', 1, 'retry'), sent('j1', 2, 'late')]);
    const aggregator = await log([
      accepted('j1', 1, 'retry'),
      {
        actor: 'aggregator',
        action: 'update.rejected',
        subject: 'job:j1',
        details: { jobId: 'j1', round: 2, siloId: 'cleveland', reason: 'deadline' },
      },
    ]);
    const result = await crossCheck(silo, aggregator);
    expect(result.matched).toEqual([
      { jobId: 'j1', round: 1, updateDigest: digest('retry'), siloSeq: 2, aggregatorSeq: 1 },
    ]);
    // The first try has no acceptance and no rejection on record for its round: it stays unexplained.
    expect(result.onlySilo).toEqual([
      { jobId: 'j1', round: 1, updateDigest: digest('first try'), seq: 1 },
      { jobId: 'j1', round: 2, updateDigest: digest('late'), seq: 3, rejectedSeq: 2 },
    ]);
    expect(result.ok).toBe(false);
  });

  it('lists entries whose details it cannot read, and reads from stores', async () => {
    const siloStore = new MemoryAuditStore();
    await siloStore.append([
      prepareDraft({
        ...sent('j1', 1, 'a'),
        details: { jobId: 'j1', round: 1, updateDigest: 'not-a-digest' },
      }),
      prepareDraft(sent('j1', 2, 'b')),
    ]);
    const aggregatorStore = new MemoryAuditStore();
    await aggregatorStore.append([
      prepareDraft({
        ...accepted('j1', 2, 'b'),
        details: { jobId: 'j1', siloId: 'cleveland', updateDigest: digest('b') },
      }),
    ]);
    const result = await crossCheck(readEntries(siloStore), readEntries(aggregatorStore));
    expect(result.unreadable).toEqual([
      { side: 'silo', seq: 1, problem: 'details.updateDigest is not a lowercase hex SHA-256' },
      { side: 'aggregator', seq: 1, problem: 'details.round is not a round number' },
    ]);
    expect(result.ok).toBe(false);
  });

  it('needs the silo id when the silo log does not name exactly one', async () => {
    await expect(crossCheck([], [])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    const silo = await log([{ ...sent('j1', 1, 'a'), actor: 'agent' }]);
    expect((await crossCheck(silo, await log([accepted('j1', 1, 'a')]), { siloId: 'cleveland' })).ok).toBe(
      true,
    );
  });
});

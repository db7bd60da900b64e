// The behaviour every AuditStore shares, run against each implementation by its spec file.
import {
  createCheckpointSigner,
  checkpointHash,
  checkpointSignatureProblem,
  keyResolver,
} from '../checkpoint.js';
import {
  EMPTY_HEAD,
  entryHash,
  GENESIS_HASH,
  prepareDraft,
  type AuditEntry,
  type AuditEntryInput,
} from '../entry.js';
import { merkleRoot } from '../merkle.js';
import type { AuditStore } from '../store.js';
import { rfc8037Key } from './keys.js';

export interface OpenedStore {
  store: AuditStore;
  close(): Promise<void>;
}

const key = rfc8037Key();
const signer = createCheckpointSigner(key.privateKey);

export function draft(overrides: Partial<AuditEntryInput> = {}) {
  return prepareDraft({
    actor: 'aggregator',
    action: 'update.accepted',
    subject: 'job:j1',
    details: { round: 1, siloId: 'cleveland' },
    time: '2025-03-01T12:00:00.000Z',
    ...overrides,
  });
}

/** Asserts that entries 1..n are contiguous and each hash and link holds. */
export function expectChained(entries: AuditEntry[]): void {
  let prev = GENESIS_HASH;
  entries.forEach((entry, i) => {
    expect(entry.seq).toBe(i + 1);
    expect(entry.prevHash).toBe(prev);
    expect(entryHash(entry)).toBe(entry.hash);
    prev = entry.hash;
  });
}

export function describeStoreContract(name: string, open: () => Promise<OpenedStore>): void {
  describe(`${name}: the AuditStore contract`, () => {
    let opened: OpenedStore;
    let store: AuditStore;

    beforeEach(async () => {
      opened = await open();
      store = opened.store;
    });
    afterEach(async () => {
      await opened?.close();
    });

    it('starts empty', async () => {
      expect(await store.head()).toEqual(EMPTY_HEAD);
      expect(await store.count()).toBe(0);
      expect(await store.lastCheckpoint()).toBeNull();
      expect(await store.listEntries()).toEqual([]);
      expect(await store.checkpoint(signer, '2025-03-01T12:00:00.000Z')).toBeNull();
      expect(await store.append([])).toEqual([]);
    });

    it('chains batches after the head and reads back exactly what it hashed', async () => {
      const tricky = {
        text: 'é € 😀 "quoted" \\ back\nslash',
        sum: 0.1 + 0.2,
        big: 1e21,
        tiny: 5e-324,
        max: Number.MAX_SAFE_INTEGER,
        negative: -0,
        nested: { list: ['a', null, true, { deep: false }], empty: {} },
        __proto__key: 'x',
      };
      const first = await store.append([
        draft({ details: tricky }),
        draft({ time: '2025-03-01T12:00:00.001Z' }),
      ]);
      const second = await store.append([draft({ action: 'job.completed', details: {} })]);
      expect(first.map((e) => e.seq)).toEqual([1, 2]);
      expect(second[0].seq).toBe(3);
      const stored = await store.listEntries();
      expect(stored).toEqual([...first, ...second]);
      expectChained(stored);
      expect(stored[0].details).toEqual({ ...tricky, negative: 0 });
      expect(await store.head()).toEqual({ seq: 3, hash: second[0].hash });
      expect(await store.count()).toBe(3);
    });

    it('filters by action, actor, subject, job, silo, time and seq, and pages', async () => {
      await store.append([
        draft({ actor: 'user:alice', action: 'job.submitted', subject: 'job:j1', details: {} }),
        draft({ details: { jobId: 'j1', siloId: 'cleveland', round: 1 }, time: '2025-03-01T12:00:01.000Z' }),
        draft({ details: { jobId: 'j1', siloId: 'hungary', round: 1 }, time: '2025-03-01T12:00:02.000Z' }),
        draft({
          actor: 'user:bob',
          action: 'job.submitted',
          subject: 'job:j2',
          details: {},
          time: '2025-03-01T12:00:03.000Z',
        }),
        draft({
          actor: 'user:admin',
          action: 'silo.revoked',
          subject: 'silo:hungary',
          details: {},
          time: '2025-03-01T12:00:04.000Z',
        }),
        draft({
          actor: 'silo:va',
          action: 'auth.refused',
          subject: 'job:j2',
          details: {},
          time: '2025-03-01T12:00:05.000Z',
        }),
      ]);
      const seqs = async (
        filter: Parameters<AuditStore['listEntries']>[0],
        page?: Parameters<AuditStore['listEntries']>[1],
      ) => (await store.listEntries(filter, page)).map((e) => e.seq);
      expect(await seqs({ action: 'job.submitted' })).toEqual([1, 4]);
      expect(await seqs({ action: ['job.submitted', 'silo.revoked'] })).toEqual([1, 4, 5]);
      expect(await seqs({ actor: 'user:bob' })).toEqual([4]);
      expect(await seqs({ subject: 'job:j2' })).toEqual([4, 6]);
      expect(await seqs({ jobId: 'j1' })).toEqual([1, 2, 3]);
      expect(await seqs({ siloId: 'hungary' })).toEqual([3, 5]);
      expect(await seqs({ siloId: 'va' })).toEqual([6]);
      expect(
        await seqs({ since: '2025-03-01T12:00:02.000Z', until: new Date('2025-03-01T12:00:05.000Z') }),
      ).toEqual([3, 4, 5]);
      expect(await seqs({ fromSeq: 2, toSeq: 4 })).toEqual([2, 3, 4]);
      expect(await seqs({ jobId: 'j1', action: 'update.accepted', siloId: 'cleveland' })).toEqual([2]);
      expect(await seqs({}, { afterSeq: 2, limit: 2 })).toEqual([3, 4]);
      expect(await seqs({ action: 'job.submitted' }, { afterSeq: 1 })).toEqual([4]);
      expect(await store.count({ jobId: 'j2' })).toBe(2);
      expect(await store.count({ action: 'nothing.here' })).toBe(0);
      await expect(store.listEntries({ since: 'yesterday' })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
      });
      await expect(store.listEntries({}, { limit: 0 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    });

    it('signs checkpoints over the entries since the previous one', async () => {
      const a = await store.append([draft(), draft(), draft()]);
      const first = await store.checkpoint(signer, '2025-03-01T12:01:00.000Z');
      expect(first).toMatchObject({
        seq: 1,
        fromSeq: 1,
        toSeq: 3,
        headHash: a[2].hash,
        prevCheckpointHash: GENESIS_HASH,
      });
      expect(first!.merkleRoot).toBe(merkleRoot(a.map((e) => e.hash)));
      expect(await store.checkpoint(signer, '2025-03-01T12:01:01.000Z')).toBeNull();
      const b = await store.append([draft(), draft()]);
      const second = await store.checkpoint(signer, '2025-03-01T12:02:00.000Z');
      expect(second).toMatchObject({
        seq: 2,
        fromSeq: 4,
        toSeq: 5,
        prevCheckpointHash: checkpointHash(first!),
      });
      expect(second!.merkleRoot).toBe(merkleRoot(b.map((e) => e.hash)));
      expect(await checkpointSignatureProblem(second!, keyResolver([key.publicKey]))).toBeNull();
      expect(await store.lastCheckpoint()).toEqual(second);
      expect(await store.listCheckpoints()).toEqual([first, second]);
      expect(await store.listCheckpoints({ afterSeq: 1 })).toEqual([second]);
      expect(await store.listCheckpoints({ overlapping: { fromSeq: 2, toSeq: 3 } })).toEqual([first]);
      expect(await store.listCheckpoints({ overlapping: { fromSeq: 3, toSeq: 4 } })).toEqual([first, second]);
    });

    it('keeps one contiguous chain under concurrent appends and checkpoints', async () => {
      const appends = Array.from({ length: 30 }, (_, i) =>
        store.append([draft({ details: { i } }), draft()]),
      );
      const checkpoints = Array.from({ length: 5 }, () =>
        store.checkpoint(signer, '2025-03-01T12:03:00.000Z'),
      );
      await Promise.all([...appends, ...checkpoints]);
      const entries = await store.listEntries();
      expect(entries).toHaveLength(60);
      expectChained(entries);
      const made = await store.listCheckpoints();
      made.forEach((c, i) => {
        expect(c.seq).toBe(i + 1);
        expect(c.fromSeq).toBe(i === 0 ? 1 : made[i - 1].toSeq + 1);
      });
    });
  });
}

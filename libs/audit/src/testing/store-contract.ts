// The behaviour every AuditStore shares, as named checks that each store's spec file runs with `it`. Plain
// node:assert keeps this file free of test-runner globals, since the production build compiles it too.
import assert from 'node:assert/strict';
import {
  checkpointHash,
  checkpointSignatureProblem,
  createCheckpointSigner,
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
import type { AuditFilter, AuditPage, AuditStore } from '../store.js';
import { rfc8037Key } from './keys.js';

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

/** Asserts that the entries are 1..n, contiguous, and that each hash and link holds. */
export function assertChained(entries: AuditEntry[]): void {
  let prev = GENESIS_HASH;
  entries.forEach((entry, i) => {
    assert.equal(entry.seq, i + 1, `entry at position ${i} has seq ${entry.seq}`);
    assert.equal(entry.prevHash, prev, `entry ${entry.seq} does not link to its predecessor`);
    assert.equal(entryHash(entry), entry.hash, `entry ${entry.seq} does not match its hash`);
    prev = entry.hash;
  });
}

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (err: { code?: string }) => err.code === code);
}

export const storeContract: [string, (store: AuditStore) => Promise<void>][] = [
  [
    'starts empty',
    async (store) => {
      assert.deepEqual(await store.head(), EMPTY_HEAD);
      assert.equal(await store.count(), 0);
      assert.equal(await store.lastCheckpoint(), null);
      assert.deepEqual(await store.listEntries(), []);
      assert.equal(await store.checkpoint(signer, '2025-03-01T12:00:00.000Z'), null);
      assert.deepEqual(await store.append([]), []);
    },
  ],
  [
    'chains batches after the head and reads back exactly what it hashed',
    async (store) => {
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
      assert.deepEqual(
        first.map((e) => e.seq),
        [1, 2],
      );
      assert.equal(second[0].seq, 3);
      const stored = await store.listEntries();
      assert.deepEqual(stored, [...first, ...second]);
      assertChained(stored);
      assert.deepEqual(stored[0].details, { ...tricky, negative: 0 });
      assert.deepEqual(await store.head(), { seq: 3, hash: second[0].hash });
      assert.equal(await store.count(), 3);
      // A large batch may travel differently (PostgresAuditStore sends it as one JSON parameter).
      const large = await store.append(
        Array.from({ length: 40 }, (_, i) => draft({ details: { i, tricky } })),
      );
      assert.deepEqual(
        large.map((e) => e.seq),
        Array.from({ length: 40 }, (_, i) => 4 + i),
      );
      const all = await store.listEntries();
      assert.deepEqual(all.slice(3), large);
      assertChained(all);
      assert.deepEqual(all[42].details, { i: 39, tricky: { ...tricky, negative: 0 } });
    },
  ],
  [
    'filters by action, actor, subject, job, silo, time and seq, and pages',
    async (store) => {
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
      const seqs = async (filter: AuditFilter, page?: AuditPage) =>
        (await store.listEntries(filter, page)).map((e) => e.seq);
      assert.deepEqual(await seqs({ action: 'job.submitted' }), [1, 4]);
      assert.deepEqual(await seqs({ action: ['job.submitted', 'silo.revoked'] }), [1, 4, 5]);
      assert.deepEqual(await seqs({ actor: 'user:bob' }), [4]);
      assert.deepEqual(await seqs({ subject: 'job:j2' }), [4, 6]);
      assert.deepEqual(await seqs({ jobId: 'j1' }), [1, 2, 3]);
      assert.deepEqual(await seqs({ siloId: 'hungary' }), [3, 5]);
      assert.deepEqual(await seqs({ siloId: 'va' }), [6]);
      assert.deepEqual(
        await seqs({ since: '2025-03-01T12:00:02.000Z', until: new Date('2025-03-01T12:00:05.000Z') }),
        [3, 4, 5],
      );
      assert.deepEqual(await seqs({ fromSeq: 2, toSeq: 4 }), [2, 3, 4]);
      assert.deepEqual(await seqs({ jobId: 'j1', action: 'update.accepted', siloId: 'cleveland' }), [2]);
      assert.deepEqual(await seqs({}, { afterSeq: 2, limit: 2 }), [3, 4]);
      assert.deepEqual(await seqs({ action: 'job.submitted' }, { afterSeq: 1 }), [4]);
      assert.equal(await store.count({ jobId: 'j2' }), 2);
      assert.equal(await store.count({ action: 'nothing.here' }), 0);
      await rejectsWith(store.listEntries({ since: 'yesterday' }), 'INVALID_ARGUMENT');
      await rejectsWith(store.listEntries({}, { limit: 0 }), 'INVALID_ARGUMENT');
    },
  ],
  [
    'signs checkpoints over the entries since the previous one',
    async (store) => {
      const a = await store.append([draft(), draft(), draft()]);
      const first = await store.checkpoint(signer, '2025-03-01T12:01:00.000Z');
      assert.ok(first);
      assert.deepEqual(
        [first.seq, first.fromSeq, first.toSeq, first.headHash, first.prevCheckpointHash],
        [1, 1, 3, a[2].hash, GENESIS_HASH],
      );
      assert.equal(first.merkleRoot, merkleRoot(a.map((e) => e.hash)));
      assert.equal(await store.checkpoint(signer, '2025-03-01T12:01:01.000Z'), null);
      const b = await store.append([draft(), draft()]);
      const second = await store.checkpoint(signer, '2025-03-01T12:02:00.000Z');
      assert.ok(second);
      assert.deepEqual(
        [second.seq, second.fromSeq, second.toSeq, second.prevCheckpointHash],
        [2, 4, 5, checkpointHash(first)],
      );
      assert.equal(second.merkleRoot, merkleRoot(b.map((e) => e.hash)));
      assert.equal(await checkpointSignatureProblem(second, keyResolver([key.publicKey])), null);
      assert.deepEqual(await store.lastCheckpoint(), second);
      assert.deepEqual(await store.listCheckpoints(), [first, second]);
      assert.deepEqual(await store.listCheckpoints({ afterSeq: 1 }), [second]);
      assert.deepEqual(await store.listCheckpoints({ overlapping: { fromSeq: 2, toSeq: 3 } }), [first]);
      assert.deepEqual(await store.listCheckpoints({ overlapping: { fromSeq: 3, toSeq: 4 } }), [
        first,
        second,
      ]);
    },
  ],
  [
    'keeps one contiguous chain under concurrent appends and checkpoints',
    async (store) => {
      const appends = Array.from({ length: 30 }, (_, i) =>
        store.append([draft({ details: { i } }), draft()]),
      );
      const checkpoints = Array.from({ length: 5 }, () =>
        store.checkpoint(signer, '2025-03-01T12:03:00.000Z'),
      );
      await Promise.all([...appends, ...checkpoints]);
      const entries = await store.listEntries();
      assert.equal(entries.length, 60);
      assertChained(entries);
      const made = await store.listCheckpoints();
      assert.ok(made.length >= 1);
      made.forEach((c, i) => {
        assert.equal(c.seq, i + 1);
        assert.equal(c.fromSeq, i === 0 ? 1 : made[i - 1].toSeq + 1);
      });
    },
  ],
];

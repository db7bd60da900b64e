import { AuditLog } from './audit-log.js';
import type { AuditCheckpoint, CheckpointSigner } from './checkpoint.js';
import type { AuditDraft, AuditEntry } from './entry.js';
import { MemoryAuditStore } from './memory-store.js';
import { auditKey } from './testing/logs.js';
import { verifyAuditStore } from './verify.js';

/** A memory store whose appends take `delayMs` and are recorded, to watch batching. */
class SlowStore extends MemoryAuditStore {
  readonly batches: number[] = [];
  failNext = false;
  failCheckpoints = false;
  constructor(private readonly delayMs = 20) {
    super();
  }
  override async append(drafts: readonly AuditDraft[]): Promise<AuditEntry[]> {
    this.batches.push(drafts.length);
    await new Promise((r) => setTimeout(r, this.delayMs));
    if (this.failNext) {
      this.failNext = false;
      throw new Error('database unreachable');
    }
    return super.append(drafts);
  }
  override async checkpoint(signer: CheckpointSigner, time: string): Promise<AuditCheckpoint | null> {
    if (this.failCheckpoints) throw new Error('checkpoint table locked');
    return super.checkpoint(signer, time);
  }
}

const entry = (i: number) => ({
  actor: 'aggregator',
  action: 'update.accepted',
  subject: `job:j${i % 2}`,
  details: { i },
});
const clock = () => new Date('2025-03-01T12:00:00.000Z');

describe('AuditLog', () => {
  it('appends in call order and resolves with the stored, chained entry', async () => {
    const log = new AuditLog({ store: new MemoryAuditStore(), signingKey: auditKey.privateKey, now: clock });
    const first = await log.append(entry(0));
    const second = await log.append({ ...entry(1), time: '2025-03-01T12:00:05.000Z' });
    expect(first).toMatchObject({ seq: 1, time: '2025-03-01T12:00:00.000Z', details: { i: 0 } });
    expect(second).toMatchObject({ seq: 2, prevHash: first.hash, time: '2025-03-01T12:00:05.000Z' });
  });

  it('writes appends made together as one batch, and those arriving during a write as the next', async () => {
    const store = new SlowStore();
    const log = new AuditLog({ store, signingKey: auditKey.privateKey });
    const together = await Promise.all(Array.from({ length: 100 }, (_, i) => log.append(entry(i))));
    expect(store.batches).toEqual([100]);
    expect(together.map((e) => e.details.i)).toEqual(together.map((e) => e.seq - 1));
    const inFlight = log.append(entry(100));
    await new Promise((r) => setTimeout(r, 5)); // the first batch is now being written
    const during = Array.from({ length: 50 }, (_, i) => log.append(entry(101 + i)));
    await Promise.all([inFlight, ...during]);
    expect(store.batches).toEqual([100, 1, 50]);
    expect((await Promise.all(during)).map((e) => e.seq)).toEqual(
      Array.from({ length: 50 }, (_, i) => 102 + i),
    );
  });

  it('caps batches at maxBatch', async () => {
    const store = new SlowStore(1);
    const log = new AuditLog({ store, signingKey: auditKey.privateKey, maxBatch: 40 });
    await Promise.all(Array.from({ length: 100 }, (_, i) => log.append(entry(i))));
    expect(store.batches).toEqual([40, 40, 20]);
  });

  it('refuses an invalid entry on its own, with the privacy guard applied', async () => {
    const store = new SlowStore(1);
    const log = new AuditLog({ store, signingKey: auditKey.privateKey });
    const results = await Promise.allSettled([
      log.append(entry(0)),
      log.append({ ...entry(1), details: { features: [63, 1, 145] } }),
      log.append({ ...entry(2), action: 'Not An Action' }),
      log.append(entry(3)),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'DETAILS_INVALID' });
    expect((results[2] as PromiseRejectedResult).reason).toMatchObject({ code: 'ENTRY_INVALID' });
    expect(await store.count()).toBe(2);
  });

  it('rejects the whole batch when the store fails, and carries on afterwards', async () => {
    const store = new SlowStore(1);
    const log = new AuditLog({ store, signingKey: auditKey.privateKey });
    store.failNext = true;
    const failed = await Promise.allSettled([log.append(entry(0)), log.append(entry(1))]);
    expect(failed.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(await log.append(entry(2))).toMatchObject({ seq: 1 });
  });

  it('checkpoints after the appends already made, and returns null when nothing is new', async () => {
    const store = new SlowStore(5);
    const log = new AuditLog({ store, signingKey: auditKey.privateKey, now: clock });
    const appends = Array.from({ length: 10 }, (_, i) => log.append(entry(i)));
    const checkpoint = await log.checkpoint();
    await Promise.all(appends);
    expect(checkpoint).toMatchObject({
      seq: 1,
      fromSeq: 1,
      toSeq: 10,
      time: '2025-03-01T12:00:00.000Z',
      signer: log.signerKid,
    });
    expect(await log.checkpoint()).toBeNull();
  });

  it('checkpoints while appends keep arriving, covering those made before it was asked for', async () => {
    const store = new SlowStore(2);
    const log = new AuditLog({ store, signingKey: auditKey.privateKey });
    let running = true;
    const writers = Array.from({ length: 4 }, async () => {
      for (let i = 0; running; i++) await log.append(entry(i));
    });
    await new Promise((r) => setTimeout(r, 20));
    const before = (await store.head()).seq;
    const checkpoint = await log.checkpoint();
    running = false;
    await Promise.all(writers);
    expect(checkpoint!.toSeq).toBeGreaterThanOrEqual(before);
    expect(checkpoint!.toSeq).toBeLessThan((await store.head()).seq + 1);
  });

  it('checkpoints on a timer and hands timer failures to onError', async () => {
    const store = new SlowStore(1);
    const errors: unknown[] = [];
    const log = new AuditLog({ store, signingKey: auditKey.privateKey, onError: (e) => errors.push(e) });
    await log.append(entry(0));
    log.startCheckpointTimer(10);
    await waitFor(async () => (await store.listCheckpoints()).length === 1);
    store.failCheckpoints = true;
    await log.append(entry(1));
    await waitFor(() => errors.length > 0);
    expect(errors[0]).toMatchObject({ message: 'checkpoint table locked' });
    // The timer must never keep a process alive on its own.
    expect((log as unknown as { timer: NodeJS.Timeout }).timer.hasRef()).toBe(false);
    log.stopCheckpointTimer();
    expect(() => log.startCheckpointTimer(0)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('also checkpoints after maxEntries new entries, without waiting for the timer', async () => {
    const store = new MemoryAuditStore();
    const log = new AuditLog({ store, signingKey: auditKey.privateKey });
    log.startCheckpointTimer(3_600_000, 25);
    for (let i = 0; i < 60; i++) await log.append(entry(i));
    await log.flush();
    await waitFor(async () => (await store.listCheckpoints()).length === 2);
    const [first, second] = await store.listCheckpoints();
    // Appends go on while a checkpoint is signed, so each covers at least the entries that triggered it.
    expect(first.toSeq).toBeGreaterThanOrEqual(25);
    expect(second.toSeq).toBeGreaterThanOrEqual(50);
    expect(second.fromSeq).toBe(first.toSeq + 1);
    expect(() => log.startCheckpointTimer(1000, 0)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    log.stopCheckpointTimer();
  });

  it('closes with a final checkpoint and refuses appends afterwards', async () => {
    const store = new SlowStore(1);
    const log = new AuditLog({ store, signingKey: auditKey.privateKey });
    log.startCheckpointTimer();
    const pending = Array.from({ length: 5 }, (_, i) => log.append(entry(i)));
    const final = await log.close();
    await Promise.all(pending);
    expect(final).toMatchObject({ toSeq: 5 });
    expect(await log.close()).toBe(final);
    await expect(log.append(entry(9))).rejects.toMatchObject({ code: 'LOG_CLOSED' });
    await expect(log.checkpoint()).rejects.toMatchObject({ code: 'LOG_CLOSED' });
    expect(await verifyAuditStore(store, [auditKey.publicKey])).toMatchObject({
      ok: true,
      entries: 5,
      uncheckpointedTail: 0,
    });
  });
});

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

import { createCheckpointSigner, type AuditCheckpoint } from './checkpoint.js';
import { entryHash, type AuditEntry } from './entry.js';
import { MemoryAuditStore } from './memory-store.js';
import { randomKey } from './testing/keys.js';
import { auditKey, auditSigner, checkpointsAt, testLog, type TestLog } from './testing/logs.js';
import { verifyAudit, verifyAuditStore, type VerifyAuditOptions } from './verify.js';

const publicKeys = [auditKey.publicKey];
let log: TestLog;

beforeAll(async () => {
  // Checkpoints cover 1–100, 101–200 and 201–230; entries 231–250 are the uncheckpointed tail.
  log = await testLog(250, [100, 200, 230]);
});

function verify(
  entries: AuditEntry[],
  checkpoints: AuditCheckpoint[] = log.checkpoints,
  extra: Partial<VerifyAuditOptions> = {},
) {
  return verifyAudit({ entries, checkpoints, publicKeys, ...extra });
}

/** A copy of the log's entries with one changed by `change`. */
function tampered(seq: number, change: (e: AuditEntry) => void): AuditEntry[] {
  const entries = structuredClone(log.entries);
  change(entries[seq - 1]);
  return entries;
}

/** Changes one character of a string to another character of the same kind (hex stays hex). */
function oneByte(text: string, at = Math.floor(text.length / 2)): string {
  const c = text[at];
  const replacement = /[0-9a-f]/.test(c) ? (c === '0' ? '1' : '0') : c === 'x' ? 'y' : 'x';
  return text.slice(0, at) + replacement + text.slice(at + 1);
}

describe('verifyAudit on an untouched log', () => {
  it('verifies entries, chain, checkpoints and reports the uncheckpointed tail', async () => {
    const result = await verify(log.entries);
    expect(result).toEqual({
      ok: true,
      partial: false,
      entries: 250,
      checkpoints: 3,
      coveredEntries: 230,
      uncheckpointedTail: 20,
      lastSeq: 250,
      headHash: log.entries[249].hash,
    });
  });

  it('reads entries and checkpoints from async streams and from a store', async () => {
    async function* stream<T>(items: T[]) {
      for (const item of items) yield await Promise.resolve(item);
    }
    expect(
      (await verifyAudit({ entries: stream(log.entries), checkpoints: stream(log.checkpoints), publicKeys }))
        .ok,
    ).toBe(true);
    const store = new MemoryAuditStore();
    await store.append(
      log.entries
        .slice(0, 40)
        .map(({ time, actor, action, subject, details }) => ({ time, actor, action, subject, details })),
    );
    await store.checkpoint(auditSigner, '2025-03-02T00:00:00.000Z');
    await store.append(
      log.entries
        .slice(40, 45)
        .map(({ time, actor, action, subject, details }) => ({ time, actor, action, subject, details })),
    );
    expect(await verifyAuditStore(store, publicKeys)).toMatchObject({
      ok: true,
      entries: 45,
      checkpoints: 1,
      uncheckpointedTail: 5,
    });
  });

  it('accepts an empty log', async () => {
    expect(await verify([], [])).toMatchObject({
      ok: true,
      entries: 0,
      checkpoints: 0,
      uncheckpointedTail: 0,
    });
  });
});

describe('verifyAudit finds one changed byte', () => {
  const fields: [string, (e: AuditEntry) => void][] = [
    ['time', (e) => (e.time = oneByte(e.time, 22))],
    ['actor', (e) => (e.actor = oneByte(e.actor))],
    ['action', (e) => (e.action = oneByte(e.action))],
    ['subject', (e) => (e.subject = oneByte(e.subject, 0))],
    ['a detail value', (e) => (e.details.note = 'f')],
    ['a detail number', (e) => (e.details.i = (e.details.i as number) + 1)],
    ['a detail key', (e) => (e.details = { ...e.details, oK: e.details.ok })],
    ['prevHash', (e) => (e.prevHash = oneByte(e.prevHash))],
    ['hash', (e) => (e.hash = oneByte(e.hash))],
  ];
  const positions = [1, 57, 100, 101, 230, 250];
  it.each(fields)(
    'in %s of entries at the start, middle, checkpoint edges and tail: HASH_MISMATCH naming the seq',
    async (_field, change) => {
      for (const seq of positions) {
        const result = await verify(tampered(seq, change));
        expect(result).toMatchObject({
          ok: false,
          firstBrokenSeq: seq,
          fault: { code: 'HASH_MISMATCH', seq },
        });
      }
    },
  );

  it('finds an entry replaced together with its own hash: CHAIN_BROKEN at the next entry', async () => {
    const entries = tampered(57, (e) => {
      e.details.note = 'rewritten';
      e.hash = entryHash(e);
    });
    expect(await verify(entries)).toMatchObject({ ok: false, fault: { code: 'CHAIN_BROKEN', seq: 58 } });
  });

  it('finds a rewrite whose whole chain was recomputed by the checkpoint’s signed head', async () => {
    const entries = structuredClone(log.entries);
    entries[149].details.note = 'rewritten';
    for (let i = 149; i < entries.length; i++) {
      if (i > 149) entries[i].prevHash = entries[i - 1].hash;
      entries[i].hash = entryHash(entries[i]);
    }
    expect(await verify(entries)).toMatchObject({
      ok: false,
      firstBrokenSeq: 101,
      fault: { code: 'CHECKPOINT_HEAD', seq: 101, checkpointSeq: 2 },
    });
  });

  it('cannot see a recomputed rewrite of the uncheckpointed tail, and says how long that tail is', async () => {
    const entries = structuredClone(log.entries);
    entries[239].details.note = 'rewritten';
    for (let i = 239; i < entries.length; i++) {
      if (i > 239) entries[i].prevHash = entries[i - 1].hash;
      entries[i].hash = entryHash(entries[i]);
    }
    expect(await verify(entries)).toMatchObject({ ok: true, uncheckpointedTail: 20 });
  });
});

describe('verifyAudit finds removed and reordered entries', () => {
  it('names the first missing seq when an entry is deleted', async () => {
    for (const seq of [1, 57, 100, 101, 240]) {
      const entries = log.entries.filter((e) => e.seq !== seq);
      expect(await verify(entries)).toMatchObject({
        ok: false,
        firstBrokenSeq: seq,
        fault: { code: 'SEQUENCE_GAP', seq },
      });
    }
    const two = log.entries.filter((e) => e.seq !== 60 && e.seq !== 61);
    expect(await verify(two)).toMatchObject({ fault: { code: 'SEQUENCE_GAP', seq: 60 } });
  });

  it('names the first missing seq when the log is cut before a checkpoint’s end', async () => {
    expect(await verify(log.entries.slice(0, 149))).toMatchObject({
      ok: false,
      fault: { code: 'SEQUENCE_GAP', seq: 150, checkpointSeq: 2 },
    });
  });

  it('names the lowest out-of-place seq when entries are swapped, moved or repeated', async () => {
    const swapped = [...log.entries];
    [swapped[56], swapped[57]] = [swapped[57], swapped[56]];
    expect(await verify(swapped)).toMatchObject({
      ok: false,
      firstBrokenSeq: 57,
      fault: { code: 'SEQUENCE_ORDER', seq: 57 },
    });
    const moved = [...log.entries.slice(0, 9), ...log.entries.slice(10), log.entries[9]];
    expect(await verify(moved)).toMatchObject({ fault: { code: 'SEQUENCE_ORDER', seq: 10 } });
    const repeated = [...log.entries.slice(0, 31), log.entries[30], ...log.entries.slice(31)];
    expect(await verify(repeated)).toMatchObject({ fault: { code: 'SEQUENCE_ORDER', seq: 31 } });
  });

  it('detects the same in a stream it cannot rewind', async () => {
    const swapped = [...log.entries];
    [swapped[56], swapped[57]] = [swapped[57], swapped[56]];
    function* once() {
      yield* swapped;
    }
    expect(await verifyAudit({ entries: once(), checkpoints: log.checkpoints, publicKeys })).toMatchObject({
      fault: { code: 'SEQUENCE_ORDER', seq: 57 },
    });
  });
});

describe('verifyAudit checks checkpoints', () => {
  it('names the missing checkpoint and the first entry it no longer covers when one is dropped', async () => {
    const [c1, c2, c3] = log.checkpoints;
    expect(await verify(log.entries, [c2, c3])).toMatchObject({
      ok: false,
      firstBrokenSeq: 1,
      fault: { code: 'CHECKPOINT_GAP', checkpointSeq: 1, seq: 1 },
    });
    expect(await verify(log.entries, [c1, c3])).toMatchObject({
      ok: false,
      firstBrokenSeq: 101,
      fault: { code: 'CHECKPOINT_GAP', checkpointSeq: 2, seq: 101 },
    });
  });

  it('cannot tell a dropped last checkpoint from one not yet written: the tail grows instead', async () => {
    const [c1, c2] = log.checkpoints;
    expect(await verify(log.entries, [c1, c2])).toMatchObject({
      ok: true,
      checkpoints: 2,
      uncheckpointedTail: 50,
    });
  });

  it('refuses a forged, altered or untrusted signature', async () => {
    const cps = structuredClone(log.checkpoints);
    const [h, p, s] = cps[1].signature.split('.');
    const bytes = Buffer.from(s, 'base64url');
    bytes[0] ^= 0x80;
    cps[1].signature = `${h}.${p}.${bytes.toString('base64url')}`;
    expect(await verify(log.entries, cps)).toMatchObject({
      ok: false,
      firstBrokenSeq: 101,
      fault: { code: 'CHECKPOINT_SIGNATURE', checkpointSeq: 2, seq: 101 },
    });
    const edited = structuredClone(log.checkpoints);
    edited[0].merkleRoot = oneByte(edited[0].merkleRoot);
    expect(await verify(log.entries, edited)).toMatchObject({
      fault: { code: 'CHECKPOINT_SIGNATURE', checkpointSeq: 1 },
    });
    const byMallory = await checkpointsAt(
      log.entries,
      [100, 200, 230],
      createCheckpointSigner(randomKey().privateKey),
    );
    const result = await verify(log.entries, byMallory);
    expect(result.fault).toMatchObject({ code: 'CHECKPOINT_SIGNATURE', checkpointSeq: 1 });
    expect(result.fault?.message).toMatch(/not a trusted checkpoint key/);
  });

  it('refuses a validly signed checkpoint whose Merkle root or head does not match the entries', async () => {
    // What a key holder (or a bug) could produce: honest signatures over wrong values.
    const sign = async (cp: AuditCheckpoint): Promise<AuditCheckpoint> => {
      const { signature: _old, ...body } = cp;
      return { ...body, signature: await auditSigner.sign(body) };
    };
    const [c1, c2, c3] = log.checkpoints;
    const badRoot = await sign({ ...c1, merkleRoot: oneByte(c1.merkleRoot) });
    const relinked = [
      badRoot,
      await sign({ ...c2, prevCheckpointHash: (await import('./checkpoint.js')).checkpointHash(badRoot) }),
    ];
    expect(await verify(log.entries, relinked)).toMatchObject({
      ok: false,
      firstBrokenSeq: 1,
      fault: { code: 'CHECKPOINT_MERKLE', checkpointSeq: 1, seq: 1 },
    });
    const badHead = await sign({ ...c3, headHash: log.entries[228].hash });
    expect(await verify(log.entries, [c1, c2, badHead])).toMatchObject({
      fault: { code: 'CHECKPOINT_HEAD', checkpointSeq: 3, seq: 201 },
    });
  });

  it('refuses a validly signed checkpoint that does not link to its predecessor', async () => {
    const [c1, c2, c3] = log.checkpoints;
    const { signature: _s, ...body } = c2;
    const unlinked = { ...body, prevCheckpointHash: c3.headHash };
    expect(
      await verify(log.entries, [c1, { ...unlinked, signature: await auditSigner.sign(unlinked) }, c3]),
    ).toMatchObject({
      fault: { code: 'CHECKPOINT_CHAIN', checkpointSeq: 2, seq: 101 },
    });
  });

  it('refuses checkpoints out of order', async () => {
    const [c1, c2, c3] = log.checkpoints;
    expect(await verify(log.entries, [c1, c3, c2])).toMatchObject({
      fault: { code: 'CHECKPOINT_GAP', checkpointSeq: 2 },
    });
    expect(await verify(log.entries, [c1, c2, c2, c3])).toMatchObject({
      fault: { code: 'CHECKPOINT_ORDER', checkpointSeq: 2 },
    });
  });

  it('reports the fault that comes first in the log', async () => {
    const cps = structuredClone(log.checkpoints);
    cps[1].time = oneByte(cps[1].time, 22);
    expect(
      await verify(
        tampered(5, (e) => (e.actor = 'user:mallory')),
        cps,
      ),
    ).toMatchObject({ fault: { code: 'HASH_MISMATCH', seq: 5 } });
    expect(
      await verify(
        tampered(150, (e) => (e.actor = 'user:mallory')),
        cps,
      ),
    ).toMatchObject({
      fault: { code: 'CHECKPOINT_SIGNATURE', seq: 101 },
    });
  });
});

describe('verifyAudit from a later start', () => {
  it('verifies from a checkpoint boundary, still checking every checkpoint signature', async () => {
    expect(await verify(log.entries.slice(100), log.checkpoints, { expectFirstSeq: 101 })).toMatchObject({
      ok: true,
      entries: 150,
      checkpoints: 3,
      coveredEntries: 130,
    });
  });

  it('refuses a start inside a checkpoint range', async () => {
    await expect(
      verify(log.entries.slice(50), log.checkpoints, { expectFirstSeq: 51 }),
    ).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });
});

describe('verifyAudit on a selection (a filtered export)', () => {
  const selection = () =>
    log.entries.filter((e) => e.details.jobId === 'j1' || (e.seq > 100 && e.seq <= 200));

  it('checks own hashes, links where consecutive, heads and whole ranges, and says it is partial', async () => {
    const result = await verify(selection(), log.checkpoints, { partial: true });
    expect(result).toMatchObject({ ok: true, partial: true, checkpoints: 3, coveredEntries: 100 });
    expect(result.entries).toBe(selection().length);
  });

  it('still finds a changed entry, a forged checkpoint and a head that does not match', async () => {
    const entries = selection();
    entries[3] = { ...entries[3], subject: 'job:j2' };
    expect(await verify(entries, log.checkpoints, { partial: true })).toMatchObject({
      fault: { code: 'HASH_MISMATCH', seq: entries[3].seq },
    });
    const cps = structuredClone(log.checkpoints);
    cps[0].signer = 'ab'.repeat(32);
    expect(await verify(selection(), cps, { partial: true })).toMatchObject({
      fault: { code: 'CHECKPOINT_SIGNATURE', checkpointSeq: 1 },
    });
    const rewritten = selection().map((e) => structuredClone(e));
    const last = rewritten.find((e) => e.seq === 200)!;
    last.details.note = 'x';
    last.hash = entryHash(last);
    expect(await verify(rewritten, log.checkpoints, { partial: true })).toMatchObject({
      fault: { code: 'CHECKPOINT_HEAD', checkpointSeq: 2 },
    });
  });
});

describe('verifyAudit speed', () => {
  it('verifies 100,000 entries with checkpoints in well under 5 seconds', async () => {
    const big = await testLog(100_000, [25_000, 50_000, 75_000, 100_000]);
    const started = performance.now();
    const result = await verifyAudit({ entries: big.entries, checkpoints: big.checkpoints, publicKeys });
    const ms = performance.now() - started;
    expect(result).toMatchObject({ ok: true, entries: 100_000, coveredEntries: 100_000 });
    console.log(`verifyAudit: 100,000 entries in ${ms.toFixed(0)} ms`);
    expect(ms).toBeLessThan(5000);
  });
});

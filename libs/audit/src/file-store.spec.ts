import { appendFile, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLog } from './audit-log.js';
import { FileAuditStore } from './file-store.js';
import { auditKey, auditSigner } from './testing/logs.js';
import { draft, storeContract } from './testing/store-contract.js';
import { verifyAuditStore } from './verify.js';

let dir: string;
let n = 0;
const fresh = () => join(dir, `audit-${++n}.jsonl`);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cohort-audit-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function codeOf(p: Promise<unknown>): Promise<{ code?: string; message: string }> {
  try {
    await p;
  } catch (err) {
    return err as { code?: string; message: string };
  }
  throw new Error('expected a failure');
}

describe('FileAuditStore: the AuditStore contract', () => {
  it.each(storeContract)('%s', async (_name, check) => {
    const store = await FileAuditStore.open(fresh());
    try {
      await check(store);
    } finally {
      await store.close();
    }
  });
});

describe('FileAuditStore', () => {
  it('writes a header, entries and checkpoints as JSON lines, readable by any tool', async () => {
    const path = fresh();
    const store = await FileAuditStore.open(path, { now: () => new Date('2025-03-01T00:00:00.000Z') });
    await store.append([draft(), draft({ action: 'update.sent', actor: 'silo:cleveland' })]);
    await store.checkpoint(auditSigner, '2025-03-01T00:01:00.000Z');
    await store.close();
    const lines = (await readFile(path, 'utf8')).split('\n');
    expect(lines.pop()).toBe('');
    const records = lines.map((l) => JSON.parse(l) as { type: string; seq?: number });
    expect(records[0]).toEqual({
      type: 'header',
      format: 'cohort-audit/1',
      kind: 'log',
      createdAt: '2025-03-01T00:00:00.000Z',
    });
    expect(records.slice(1).map((r) => [r.type, r.seq])).toEqual([
      ['entry', 1],
      ['entry', 2],
      ['checkpoint', 1],
    ]);
    expect((await stat(path)).mode & 0o777).toBe(0o640);
  });

  it('picks up where it left off after a restart', async () => {
    const path = fresh();
    const firstStore = await FileAuditStore.open(path);
    const first = new AuditLog({ store: firstStore, signingKey: auditKey.privateKey });
    for (let i = 0; i < 5; i++)
      await first.append({
        actor: 'silo:va',
        action: 'update.sent',
        subject: 'job:j1',
        details: { round: i },
      });
    await first.checkpoint();
    await first.append({ actor: 'silo:va', action: 'round.declined', subject: 'job:j1', details: {} });
    await first.flush();
    await firstStore.close();

    const reopened = await FileAuditStore.open(path);
    expect(await reopened.head()).toMatchObject({ seq: 6 });
    expect(await reopened.lastCheckpoint()).toMatchObject({ seq: 1, toSeq: 5 });
    const [next] = await reopened.append([draft()]);
    expect(next.seq).toBe(7);
    expect(await reopened.checkpoint(auditSigner, '2025-03-01T00:02:00.000Z')).toMatchObject({
      seq: 2,
      fromSeq: 6,
      toSeq: 7,
    });
    expect(await verifyAuditStore(reopened, [auditKey.publicKey])).toMatchObject({
      ok: true,
      entries: 7,
      checkpoints: 2,
    });
    await reopened.close();
  });

  it('refuses to open a file whose last write was interrupted, naming the line and bytes', async () => {
    const path = fresh();
    const store = await FileAuditStore.open(path);
    await store.append([draft(), draft()]);
    await store.close();
    const intact = (await stat(path)).size;
    await appendFile(path, '{"type":"entry","seq":3,"time":"2025-03');
    const err = await codeOf(FileAuditStore.open(path));
    expect(err.code).toBe('FILE_TORN');
    expect(err.message).toContain(`line 4 (bytes ${intact}–${intact + 38})`);
    expect(err.message).toContain(`truncate -s ${intact}`);

    const repaired = await FileAuditStore.open(path, { truncateTornTail: true });
    expect((await stat(path)).size).toBe(intact);
    expect(await repaired.head()).toMatchObject({ seq: 2 });
    expect((await repaired.append([draft()]))[0].seq).toBe(3);
    await repaired.close();
  });

  it('starts over when even the header was torn, if allowed to truncate', async () => {
    const path = fresh();
    await writeFile(path, '{"type":"header","format":"coh');
    expect((await codeOf(FileAuditStore.open(path))).message).toMatch(/line 1 \(bytes 0–29\) is incomplete/);
    const store = await FileAuditStore.open(path, { truncateTornTail: true });
    expect(await store.head()).toMatchObject({ seq: 0 });
    await store.close();
  });

  it('refuses a damaged line or a broken sequence, naming the line', async () => {
    const path = fresh();
    const store = await FileAuditStore.open(path);
    await store.append([draft(), draft(), draft()]);
    await store.close();
    const lines = (await readFile(path, 'utf8')).split('\n');

    await writeFile(path, [...lines.slice(0, 2), '{"type":"entry",', ...lines.slice(3)].join('\n'));
    const damaged = await codeOf(FileAuditStore.open(path));
    expect(damaged).toMatchObject({ code: 'FILE_CORRUPT' });
    expect(damaged.message).toContain('line 3: not JSON');

    await writeFile(path, [lines[0], lines[1], lines[3], ''].join('\n'));
    expect((await codeOf(FileAuditStore.open(path))).message).toContain('line 3: entry 3 follows entry 1');

    await writeFile(path, [lines[1], lines[2], ''].join('\n'));
    expect((await codeOf(FileAuditStore.open(path))).message).toContain(
      'line 1: the first line must be a cohort-audit/1 log header',
    );

    const extra = JSON.stringify({ ...(JSON.parse(lines[1]) as object), note: 'added later' });
    await writeFile(path, [lines[0], extra, ''].join('\n'));
    expect((await codeOf(FileAuditStore.open(path))).message).toContain(
      'line 2: unexpected entry fields: note',
    );
  });

  it('refuses writes after close', async () => {
    const store = await FileAuditStore.open(fresh());
    await store.close();
    expect((await codeOf(store.append([draft()]))).code).toBe('LOG_CLOSED');
  });
});

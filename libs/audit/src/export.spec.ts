import { Readable } from 'node:stream';
import { AuditLog } from './audit-log.js';
import { exportCsv, exportJsonLines, readAuditExport, verifyAuditExport } from './export.js';
import { FileAuditStore } from './file-store.js';
import { MemoryAuditStore } from './memory-store.js';
import { auditKey } from './testing/logs.js';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const publicKeys = [auditKey.publicKey];
const EXPORTED_AT = () => new Date('2025-03-02T00:00:00.000Z');
let store: MemoryAuditStore;

async function collect(lines: AsyncIterable<string>): Promise<string> {
  let text = '';
  for await (const line of lines) text += line;
  return text;
}

async function failure(p: Promise<unknown>): Promise<{ code?: string; message: string }> {
  try {
    await p;
  } catch (err) {
    return err as { code?: string; message: string };
  }
  throw new Error('expected a failure');
}

// A tiny deterministic generator, so the random byte flips are the same on every run.
function prng(seed: number): () => number {
  return () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
}

beforeAll(async () => {
  store = new MemoryAuditStore();
  const log = new AuditLog({
    store,
    signingKey: auditKey.privateKey,
    now: () => new Date('2025-03-01T12:00:00.000Z'),
  });
  for (let i = 0; i < 40; i++) {
    await log.append({
      actor: i % 4 === 0 ? 'user:alice' : 'aggregator',
      action: i % 4 === 0 ? 'job.submitted' : 'update.accepted',
      subject: `job:j${i % 2}`,
      details: {
        round: i,
        siloId: 'va',
        reason: 'quotes " and, commas; ümlauts & 😀',
        nested: { ok: i % 3 === 0 },
      },
    });
    if (i % 15 === 14) await log.checkpoint();
  }
});

describe('exportJsonLines', () => {
  it('writes a header, the entries, their checkpoints and a footer', async () => {
    const text = await collect(exportJsonLines(store, {}, { now: EXPORTED_AT }));
    const lines = text.split('\n');
    expect(lines.pop()).toBe('');
    const records = lines.map((l) => JSON.parse(l) as { type: string });
    expect(records[0]).toEqual({
      type: 'header',
      format: 'cohort-audit/1',
      kind: 'export',
      exportedAt: '2025-03-02T00:00:00.000Z',
      filter: null,
      partial: false,
    });
    expect(records.map((r) => r.type)).toEqual([
      'header',
      ...Array(40).fill('entry'),
      'checkpoint',
      'checkpoint',
      'footer',
    ]);
    expect(records.at(-1)).toEqual({ type: 'footer', entries: 40, checkpoints: 2 });
  });

  it('reads back exactly and verifies completely', async () => {
    const exported = await readAuditExport(await collect(exportJsonLines(store)));
    expect(exported.format).toBe('jsonl');
    expect(exported.entries).toEqual(await store.listEntries());
    expect(exported.checkpoints).toEqual(await store.listCheckpoints());
    expect(await verifyAuditExport(exported, publicKeys)).toMatchObject({
      ok: true,
      partial: false,
      entries: 40,
      checkpoints: 2,
      uncheckpointedTail: 10,
    });
  });

  it('reads a stream cut at arbitrary bytes, even inside multi-byte characters', async () => {
    const bytes = Buffer.from(await collect(exportJsonLines(store)), 'utf8');
    const next = prng(7);
    const chunks: Buffer[] = [];
    for (let at = 0; at < bytes.length;) {
      const size = 1 + Math.floor(next() * 97);
      chunks.push(bytes.subarray(at, at + size));
      at += size;
    }
    const exported = await readAuditExport(Readable.from(chunks));
    expect((await verifyAuditExport(exported, publicKeys)).ok).toBe(true);
  });

  it('exports a selection as partial, with the checkpoints that overlap it', async () => {
    const text = await collect(exportJsonLines(store, { subject: 'job:j1', fromSeq: 20 }));
    const exported = await readAuditExport(text);
    expect(exported.partial).toBe(true);
    expect(exported.header.filter).toEqual({ subject: 'job:j1', fromSeq: 20 });
    expect(exported.entries.map((e) => e.seq)).toEqual([20, 22, 24, 26, 28, 30, 32, 34, 36, 38, 40]);
    expect(exported.checkpoints.map((c) => c.seq)).toEqual([2]);
    expect(await verifyAuditExport(exported, publicKeys)).toMatchObject({
      ok: true,
      partial: true,
      checkpoints: 2 - 1,
    });
  });

  it('reads a silo agent’s log file as it is', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cohort-audit-export-'));
    try {
      const path = join(dir, 'audit.jsonl');
      const file = await FileAuditStore.open(path);
      const log = new AuditLog({ store: file, signingKey: auditKey.privateKey });
      await log.append({ actor: 'silo:va', action: 'update.sent', subject: 'job:j1', details: { round: 1 } });
      await log.close();
      await file.close();
      const exported = await readAuditExport(await readFile(path));
      expect(exported.header.kind).toBe('log');
      expect(await verifyAuditExport(exported, publicKeys)).toMatchObject({
        ok: true,
        entries: 1,
        checkpoints: 1,
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('exportCsv', () => {
  it('writes one RFC 4180 table that reads back exactly and verifies', async () => {
    const text = await collect(exportCsv(store, {}, { now: EXPORTED_AT }));
    const rows = text.split('\r\n');
    expect(rows[0]).toBe(
      'record_type,seq,time,actor,action,subject,details,prev_hash,hash,from_seq,to_seq,head_hash,merkle_root,prev_checkpoint_hash,signer,signature',
    );
    expect(rows[1]).toBe(
      'header,,,,,,"{""format"":""cohort-audit/1"",""kind"":""export"",""exportedAt"":""2025-03-02T00:00:00.000Z"",""filter"":null,""partial"":false}",,,,,,,,,',
    );
    // Details are stored with sorted keys; quotes inside the JSON are doubled and the field is quoted.
    expect(rows[2]).toMatch(
      /^entry,1,2025-03-01T12:00:00.000Z,user:alice,job.submitted,job:j0,"\{""nested"":\{""ok"":true\},/,
    );
    const exported = await readAuditExport(text);
    expect(exported.format).toBe('csv');
    expect(exported.entries).toEqual(await store.listEntries());
    expect(exported.checkpoints).toEqual(await store.listCheckpoints());
    expect((await verifyAuditExport(exported, publicKeys)).ok).toBe(true);
  });
});

describe('readAuditExport refuses what it cannot read', () => {
  let jsonl: string[];
  let csv: string[];
  beforeAll(async () => {
    jsonl = (await collect(exportJsonLines(store))).split('\n');
    csv = (await collect(exportCsv(store))).split('\r\n');
  });

  it('names the line of a malformed JSON Lines record', async () => {
    const broken = [...jsonl];
    broken[2] = broken[2].slice(0, 20);
    expect(await failure(readAuditExport(broken.join('\n')))).toMatchObject({
      code: 'EXPORT_MALFORMED',
      message: 'line 3: not JSON',
    });
    const unknown = [...jsonl];
    unknown[5] = '{"type":"comment"}';
    expect((await failure(readAuditExport(unknown.join('\n')))).message).toBe(
      'line 6: unknown record type "comment"',
    );
  });

  it('names the line of a malformed CSV row', async () => {
    const broken = [...csv];
    broken[3] = broken[3].replace(',aggregator,', ',aggregator,extra,');
    expect(await failure(readAuditExport(broken.join('\r\n')))).toMatchObject({
      code: 'EXPORT_MALFORMED',
      message: 'line 4: expected 16 fields, found 17',
    });
    const shifted = [...csv];
    shifted[4] = shifted[4] + 'x';
    expect((await failure(readAuditExport(shifted.join('\r\n')))).message).toBe(
      'line 5: a entry row has values in signature',
    );
    const unclosed = [...csv.slice(0, 5), 'entry,6,"oops'];
    expect((await failure(readAuditExport(unclosed.join('\r\n')))).message).toMatch(
      /^line 6: a quoted field is not closed/,
    );
  });

  it('says an export was cut short, or that its counts do not add up', async () => {
    expect((await failure(readAuditExport(jsonl.slice(0, 30).join('\n') + '\n'))).code).toBe(
      'EXPORT_TRUNCATED',
    );
    const dropped = jsonl.filter((_, i) => i !== 10);
    expect(await failure(readAuditExport(dropped.join('\n')))).toMatchObject({
      code: 'EXPORT_MALFORMED',
      message: `line ${dropped.length - 1}: the footer counts 40 entries and 2 checkpoints, the export holds 39 and 2`,
    });
    expect((await failure(readAuditExport('hello\n'))).message).toMatch(/^line 1: neither/);
    expect((await failure(readAuditExport(''))).code).toBe('EXPORT_MALFORMED');
  });
});

describe('a changed byte anywhere in an exported entry or checkpoint', () => {
  it.each(['jsonl', 'csv'] as const)('is refused or fails verification (%s)', async (format) => {
    const text = await collect(format === 'jsonl' ? exportJsonLines(store) : exportCsv(store));
    const lines = text.split(format === 'jsonl' ? '\n' : '\r\n');
    const first = format === 'jsonl' ? 1 : 2;
    const next = prng(format === 'jsonl' ? 11 : 13);
    const alphabet = 'abcdefABCDEF0123456789xyz:.,"{}';
    let trials = 0;
    while (trials < 200) {
      const lineIndex = first + Math.floor(next() * (lines.length - first - 2)); // entries and checkpoints only
      const line = lines[lineIndex];
      const at = Math.floor(next() * line.length);
      const replacement = alphabet[Math.floor(next() * alphabet.length)];
      if (replacement === line[at]) continue;
      trials++;
      const changed = [...lines];
      changed[lineIndex] = line.slice(0, at) + replacement + line.slice(at + 1);
      let detected: string;
      try {
        const result = await verifyAuditExport(
          await readAuditExport(changed.join(format === 'jsonl' ? '\n' : '\r\n')),
          publicKeys,
        );
        detected = result.ok ? 'undetected' : result.fault!.code;
      } catch (err) {
        detected = (err as { code: string }).code;
      }
      if (detected === 'undetected')
        throw new Error(`line ${lineIndex + 1}, byte ${at}: ${line[at]} → ${replacement} went unnoticed`);
    }
  });
});

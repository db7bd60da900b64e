import { Command } from 'commander';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AUDIT_APPEND_ONLY_MESSAGE,
  AuditLog,
  ensureAuditSchema,
  exportCsv,
  exportJsonLines,
  FileAuditStore,
  MemoryAuditStore,
  PostgresAuditStore,
} from '@cohort/audit';
import { fingerprintOfPublicKey, loadOrCreateIdentityKey } from '@cohort/identity';
import { openDatabase } from '@cohort/storage';
import { CliError, EXIT_BAD_ARGUMENTS } from '../output.js';
import {
  crossCheckFiles,
  formatAuditPage,
  formatCrossCheck,
  formatVerification,
  loadPublicKey,
  loadPublicKeys,
  parseActions,
  parseAfterSeq,
  parseInstant,
  parseLimit,
  registerAuditCommand,
  shortDetails,
  verifyDatabase,
  verifyFile,
  verifySourceOf,
  writeExport,
} from './audit.command.js';

const key = generateKeyPairSync('ed25519');
const otherKey = generateKeyPairSync('ed25519');
let dir: string;
let store: MemoryAuditStore;
let jsonl: string;

function badArgs(fn: () => unknown): CliError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).exitCode).toBe(EXIT_BAD_ARGUMENTS);
    return err as CliError;
  }
  throw new Error('expected bad arguments');
}

async function badArgsAsync(p: Promise<unknown>): Promise<CliError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CliError);
  expect((err as CliError).exitCode).toBe(EXIT_BAD_ARGUMENTS);
  return err as CliError;
}

async function text(lines: AsyncIterable<string>): Promise<string> {
  let out = '';
  for await (const line of lines) out += line;
  return out;
}

/** Seven entries, a checkpoint after the fifth, so two are after the last checkpoint. */
async function fillLog(log: AuditLog): Promise<void> {
  for (let i = 1; i <= 7; i++) {
    await log.append({
      actor: i % 2 ? 'aggregator' : 'silo:cleveland',
      action: i === 1 ? 'job.submitted' : 'update.accepted',
      subject: 'job:j1',
      details: { jobId: 'j1', round: i, updateDigest: 'ab'.repeat(32) },
    });
    if (i === 5) await log.checkpoint();
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cohort-audit-cli-'));
  store = new MemoryAuditStore();
  await fillLog(new AuditLog({ store, signingKey: key.privateKey }));
  jsonl = await text(exportJsonLines(store));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

afterEach(() => {
  process.exitCode = undefined;
});

describe('argument parsing', () => {
  it('takes one action or a comma-separated list, and refuses what is not an action', () => {
    expect(parseActions('job.submitted')).toEqual(['job.submitted']);
    expect(parseActions('update.accepted,aggregate.released')).toEqual([
      'update.accepted',
      'aggregate.released',
    ]);
    expect(badArgs(() => parseActions('Job.Submitted,ok.fine')).message).toContain('"Job.Submitted"');
    badArgs(() => parseActions('job.submitted,'));
    badArgs(() => parseActions('submitted'));
  });

  it('takes ISO dates and instants, normalised to UTC, and refuses free text', () => {
    const since = parseInstant('--since');
    expect(since('2026-11-27')).toBe('2026-11-27T00:00:00.000Z');
    expect(since('2026-11-27T10:00:00+02:00')).toBe('2026-11-27T08:00:00.000Z');
    expect(badArgs(() => since('yesterday')).message).toMatch(/--since must be an ISO-8601/);
    badArgs(() => since('2026-13-01'));
    badArgs(() => since('May 1, 2026'));
  });

  it('takes sequence numbers and limits as plain digits within range', () => {
    expect(parseAfterSeq('0')).toBe(0);
    expect(parseAfterSeq('42')).toBe(42);
    for (const bad of ['-1', '1.5', '1e3', ' 7', '']) badArgs(() => parseAfterSeq(bad));
    expect(parseLimit('10000')).toBe(10_000);
    for (const bad of ['0', '10001', 'ten']) badArgs(() => parseLimit(bad));
  });

  it('verifies exactly one source', () => {
    expect(verifySourceOf({ file: 'a.jsonl' })).toEqual({ kind: 'export', path: 'a.jsonl' });
    expect(verifySourceOf({ dataDir: 'pg' })).toEqual({ kind: 'database', target: { dataDir: 'pg' } });
    expect(badArgs(() => verifySourceOf({})).message).toMatch(
      /--file .*--silo-log .*--data-dir .*--database-url/,
    );
    expect(badArgs(() => verifySourceOf({ file: 'a', dataDir: 'b' })).message).toContain(
      '--file and --data-dir',
    );
  });
});

describe('keys', () => {
  it('refuses to verify without a pinned key, saying where the aggregator keeps its public key', async () => {
    const err = await badArgsAsync(loadPublicKeys([]));
    expect(err.message).toContain('public.pem');
    expect(err.message).toMatch(/pinned/);
  });

  it('reads a PEM public key, a raw hex key (as an argument or in a file) and key folders', async () => {
    const fingerprint = fingerprintOfPublicKey(key.publicKey);
    const pem = join(dir, 'key.pem');
    await writeFile(pem, key.publicKey.export({ type: 'spki', format: 'pem' }));
    const raw = Buffer.from(key.publicKey.export({ format: 'jwk' }).x!, 'base64url').toString('hex');
    const hexFile = join(dir, 'key.hex');
    await writeFile(hexFile, `${raw}\n`);
    const aggregatorDir = join(dir, 'audit-key');
    await mkdir(aggregatorDir);
    await writeFile(join(aggregatorDir, 'public.pem'), key.publicKey.export({ type: 'spki', format: 'pem' }));
    for (const spec of [pem, raw, hexFile, aggregatorDir]) {
      expect(fingerprintOfPublicKey(await loadPublicKey(spec))).toBe(fingerprint);
    }
    // A silo's state folder, or its identity folder: only the public half of its identity key is kept.
    const siloDir = join(dir, 'silo-state');
    const identity = await loadOrCreateIdentityKey(join(siloDir, 'identity'));
    for (const folder of [siloDir, join(siloDir, 'identity')]) {
      const fromFolder = await loadPublicKey(folder);
      expect(fromFolder.type).toBe('public');
      expect(fingerprintOfPublicKey(fromFolder)).toBe(identity.fingerprint);
    }
  });

  it('refuses files that are not Ed25519 keys, and folders without one', async () => {
    const rsa = join(dir, 'rsa.pem');
    await writeFile(
      rsa,
      generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }),
    );
    expect((await badArgsAsync(loadPublicKey(rsa))).message).toMatch(/Ed25519/);
    const junk = join(dir, 'junk.pem');
    await writeFile(junk, 'not a key');
    expect((await badArgsAsync(loadPublicKey(junk))).message).toMatch(/neither a PEM key nor/);
    const empty = join(dir, 'empty-folder');
    await mkdir(empty);
    expect((await badArgsAsync(loadPublicKey(empty))).message).toMatch(
      /none of public\.pem, identity\/identity\.key, identity\.key/,
    );
    await badArgsAsync(loadPublicKey(join(dir, 'missing.pem')));
  });
});

describe('verifying files', () => {
  const write = async (name: string, content: string): Promise<string> => {
    const path = join(dir, name);
    await writeFile(path, content);
    return path;
  };

  it('accepts an untouched JSON Lines or CSV export and counts the entries after the last checkpoint', async () => {
    const r = await verifyFile(await write('ok.jsonl', jsonl), 'export', [otherKey.publicKey, key.publicKey]);
    expect(r).toMatchObject({ ok: true, entries: 7, checkpoints: 1, uncheckpointedTail: 2, partial: false });
    expect(r.signers).toEqual([fingerprintOfPublicKey(key.publicKey)]);
    expect(formatVerification(r).split('\n')[0]).toBe(
      'OK: 7 entries, 1 checkpoints, 2 after the last checkpoint',
    );
    const csv = await verifyFile(await write('ok.csv', await text(exportCsv(store))), 'export', [
      key.publicKey,
    ]);
    expect(csv).toMatchObject({
      ok: true,
      entries: 7,
      checkpoints: 1,
      source: expect.stringContaining('(csv)'),
    });
  });

  it('names the first broken entry when one byte of an entry changed', async () => {
    const lines = jsonl.split('\n');
    const i = lines.findIndex((l) => l.includes('"seq":3,'));
    lines[i] = lines[i].replace('"aggregator"', '"aggregatoR"');
    const r = await verifyFile(await write('flip.jsonl', lines.join('\n')), 'export', [key.publicKey]);
    expect(r).toMatchObject({ ok: false, firstBrokenSeq: 3, fault: { code: 'HASH_MISMATCH' } });
    expect(formatVerification(r)).toMatch(/^BROKEN at entry 3: HASH_MISMATCH /);
  });

  it('does not trust checkpoints signed by a key that was not pinned', async () => {
    const r = await verifyFile(await write('other-key.jsonl', jsonl), 'export', [otherKey.publicKey]);
    expect(r).toMatchObject({ ok: false, firstBrokenSeq: 1, fault: { code: 'CHECKPOINT_SIGNATURE' } });
  });

  it('reports an export cut short as broken, not as a crash', async () => {
    const cut = jsonl.split('\n').slice(0, 5).join('\n') + '\n';
    const r = await verifyFile(await write('cut.jsonl', cut), 'export', [key.publicKey]);
    expect(r).toMatchObject({ ok: false, fault: { code: 'EXPORT_TRUNCATED' } });
    expect(r.firstBrokenSeq).toBeUndefined();
    expect(formatVerification(r)).toMatch(/^BROKEN: EXPORT_TRUNCATED /);
  });

  it('refuses a file that does not exist as a bad argument', async () => {
    expect(
      (await badArgsAsync(verifyFile(join(dir, 'nope.jsonl'), 'export', [key.publicKey]))).message,
    ).toContain('--file');
  });
});

describe('verifying a PGlite folder', () => {
  let pgdata: string;

  beforeAll(async () => {
    pgdata = join(dir, 'pgdata');
    const db = await openDatabase({ dataDir: pgdata });
    await ensureAuditSchema(db);
    const log = new AuditLog({ store: new PostgresAuditStore(db), signingKey: key.privateKey });
    await fillLog(log);
    await db.close();
  }, 60_000);

  async function tamper(sql: string): Promise<void> {
    const db = await openDatabase({ dataDir: pgdata });
    try {
      await db.query(`SET session_replication_role = replica; ${sql}`);
    } finally {
      await db.close();
    }
  }

  it('verifies the tables and names a changed entry; the append-only trigger stays in force', async () => {
    expect(await verifyDatabase({ dataDir: pgdata }, [key.publicKey])).toMatchObject({
      ok: true,
      entries: 7,
      checkpoints: 1,
      uncheckpointedTail: 2,
      source: expect.stringContaining('PGlite'),
    });
    await tamper(`UPDATE audit_entries SET actor = 'silo:clevelanx' WHERE seq = 4`);
    try {
      const r = await verifyDatabase({ dataDir: pgdata }, [key.publicKey]);
      expect(r).toMatchObject({ ok: false, firstBrokenSeq: 4, fault: { code: 'HASH_MISMATCH' } });
    } finally {
      await tamper(`UPDATE audit_entries SET actor = 'silo:cleveland' WHERE seq = 4`);
    }
    // The append-only trigger is back in force once replication mode is off.
    const db = await openDatabase({ dataDir: pgdata });
    try {
      await expect(db.query('DELETE FROM audit_entries WHERE seq = 1')).rejects.toThrow(
        AUDIT_APPEND_ONLY_MESSAGE,
      );
    } finally {
      await db.close();
    }
    expect((await verifyDatabase({ dataDir: pgdata }, [key.publicKey])).ok).toBe(true);
  }, 60_000);

  it('refuses a folder that holds no database, without creating one, and a database without audit tables', async () => {
    const missing = join(dir, 'no-such-pgdata');
    expect((await badArgsAsync(verifyDatabase({ dataDir: missing }, [key.publicKey]))).message).toMatch(
      /not a PGlite database folder/,
    );
    expect(existsSync(missing)).toBe(false);
    const bare = join(dir, 'bare-pgdata');
    await (await openDatabase({ dataDir: bare })).close();
    expect((await badArgsAsync(verifyDatabase({ dataDir: bare }, [key.publicKey]))).message).toMatch(
      /has no audit tables/,
    );
  }, 60_000);
});

describe("cross-checking a silo's log against the aggregator's export", () => {
  const siloKey = generateKeyPairSync('ed25519');
  const digest = (n: number) => String(n).repeat(64);
  let siloLog: string;

  /** The aggregator's export, with the digests it accepted for cleveland (and va) per round. */
  async function aggregatorExport(name: string, accepted: Record<number, string>): Promise<string> {
    const aggregator = new MemoryAuditStore();
    const log = new AuditLog({ store: aggregator, signingKey: key.privateKey });
    for (const [round, updateDigest] of Object.entries(accepted)) {
      for (const siloId of ['cleveland', 'va']) {
        await log.append({
          actor: `silo:${siloId}`,
          action: 'update.accepted',
          subject: 'job:j1',
          details: { jobId: 'j1', round: Number(round), siloId, updateDigest },
        });
      }
    }
    await log.checkpoint();
    const path = join(dir, name);
    await writeFile(path, await text(exportJsonLines(aggregator)));
    return path;
  }

  beforeAll(async () => {
    siloLog = join(dir, 'cleveland-audit.jsonl');
    const store = await FileAuditStore.open(siloLog);
    const log = new AuditLog({ store, signingKey: siloKey.privateKey });
    await log.append({
      actor: 'silo:cleveland',
      action: 'job.accepted',
      subject: 'job:j1',
      details: { jobId: 'j1' },
    });
    for (const round of [1, 2]) {
      await log.append({
        actor: 'silo:cleveland',
        action: 'update.sent',
        subject: 'job:j1',
        details: { jobId: 'j1', round, siloId: 'cleveland', updateDigest: digest(round) },
      });
      await log.checkpoint();
    }
    await log.close();
    await store.close();
  });

  it('matches every update sent with the one accepted, and verifies both files with the keys given', async () => {
    const exported = await aggregatorExport('agg-ok.jsonl', { 1: digest(1), 2: digest(2) });
    const r = await crossCheckFiles(siloLog, exported, [siloKey.publicKey, key.publicKey]);
    expect(r).toMatchObject({
      ok: true,
      siloId: 'cleveland',
      digestMismatches: [],
      onlySilo: [],
      onlyAggregator: [],
    });
    expect(r.matched.map((m) => m.round)).toEqual([1, 2]);
    expect(r.verification).toMatchObject({ siloLog: { ok: true, checkpoints: 2 }, export: { ok: true } });
    expect(formatCrossCheck(r).split('\n').at(-1)).toMatch(/^OK: /);

    const unverified = await crossCheckFiles(siloLog, exported, []);
    expect(unverified).toMatchObject({ ok: true, verification: null });
    expect(formatCrossCheck(unverified)).toContain('Signatures not checked');
  });

  it('reports a different digest, an update never accepted and one accepted but never sent', async () => {
    const exported = await aggregatorExport('agg-bad.jsonl', { 2: digest(7), 3: digest(3) });
    const r = await crossCheckFiles(siloLog, exported, []);
    expect(r.ok).toBe(false);
    expect(r.digestMismatches).toEqual([
      expect.objectContaining({ round: 2, siloDigest: digest(2), aggregatorDigest: digest(7) }),
    ]);
    expect(r.onlySilo).toEqual([expect.objectContaining({ round: 1, updateDigest: digest(1) })]);
    expect(r.onlyAggregator).toEqual([expect.objectContaining({ round: 3, updateDigest: digest(3) })]);
    const human = formatCrossCheck(r);
    expect(human).toContain(
      'MISMATCH job j1 round 2: the silo sent 2222222222222222…, the aggregator accepted 7777777777777777…',
    );
    expect(human).toContain("ONLY IN THE SILO'S LOG job j1 round 1");
    expect(human).toContain("ONLY IN THE AGGREGATOR'S job j1 round 3");
    expect(human.split('\n').at(-1)).toMatch(/^DISCREPANCIES/);
  });

  it('fails when either file does not verify with the keys given', async () => {
    const exported = await aggregatorExport('agg-other-key.jsonl', { 1: digest(1), 2: digest(2) });
    const r = await crossCheckFiles(siloLog, exported, [siloKey.publicKey]);
    expect(r.matched).toHaveLength(2);
    expect(r).toMatchObject({ ok: false, verification: { siloLog: { ok: true }, export: { ok: false } } });
  });

  it('refuses files given the wrong way round', async () => {
    const exported = await aggregatorExport('agg-swapped.jsonl', { 1: digest(1) });
    const err = await badArgsAsync(crossCheckFiles(exported, siloLog, []));
    expect(err.message).toMatch(/is an export, not a silo's log/);
  });
});

describe('writing an export', () => {
  async function* chunks(parts: (string | Error)[]): AsyncGenerator<Uint8Array> {
    for (const part of parts) {
      // A network read: each chunk arrives on a later turn of the event loop.
      await new Promise((resolve) => setImmediate(resolve));
      if (part instanceof Error) throw part;
      yield Buffer.from(part);
    }
  }

  it('writes through <out>.partial and renames once the export reads back whole', async () => {
    const out = join(dir, 'export-ok.jsonl');
    const r = await writeExport(chunks([jsonl.slice(0, 100), jsonl.slice(100)]), out, 'jsonl');
    expect(r).toEqual({
      out,
      format: 'jsonl',
      bytes: Buffer.byteLength(jsonl),
      entries: 7,
      checkpoints: 1,
      partial: false,
    });
    expect(await readFile(out, 'utf8')).toBe(jsonl);
    expect(existsSync(`${out}.partial`)).toBe(false);
  });

  it('leaves only <out>.partial when the download breaks off or the body is cut short', async () => {
    const broken = join(dir, 'export-broken.jsonl');
    await expect(
      writeExport(chunks([jsonl.slice(0, 100), new Error('socket hang up')]), broken, 'jsonl'),
    ).rejects.toThrow(/cut off after 100 bytes \(socket hang up\).*export-broken\.jsonl\.partial/);
    expect(existsSync(broken)).toBe(false);
    expect(await readFile(`${broken}.partial`, 'utf8')).toBe(jsonl.slice(0, 100));

    // The connection closed cleanly but early: only the missing footer tells.
    const short = join(dir, 'export-short.jsonl');
    const cut = jsonl.split('\n').slice(0, 4).join('\n') + '\n';
    const err = (await writeExport(chunks([cut]), short, 'jsonl').catch((e: unknown) => e)) as CliError;
    expect(err.code).toBe('EXPORT_TRUNCATED');
    expect(existsSync(short)).toBe(false);
    expect(existsSync(`${short}.partial`)).toBe(true);
  });
});

describe('the table', () => {
  const entry = {
    seq: 12,
    time: '2026-11-27T10:00:00.123Z',
    actor: 'silo:cleveland',
    action: 'update.accepted',
    subject: 'job:5f0c',
    details: {
      jobId: '5f0c',
      siloId: 'cleveland',
      round: 2,
      updateDigest: 'ab'.repeat(32),
      loss: 0.123456789,
      reason: 'two words',
    },
    prevHash: '0'.repeat(64),
    hash: '1'.repeat(64),
  };

  it('leaves out ids already shown, cuts digests and long text', () => {
    expect(shortDetails(entry, 200)).toBe(
      'round=2 updateDigest=abababababab… loss=0.1235 reason="two words"',
    );
    const short = shortDetails(entry, 20);
    expect(short).toHaveLength(20);
    expect(short.endsWith('…')).toBe(true);
  });

  it('shows one row per entry and how to get the next page', () => {
    const text = formatAuditPage({ entries: [entry, { ...entry, seq: 13 }], nextAfterSeq: 13, total: 40 });
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^SEQ +TIME +ACTOR +ACTION +SUBJECT +DETAILS$/);
    expect(lines[1]).toMatch(
      /^12 +2026-11-27 10:00:00Z +silo:cleveland +update\.accepted +job:5f0c +round=2 /,
    );
    expect(lines[3]).toBe('2 of 40 matching entries (seq 12–13); next page: --after-seq 13');
    expect(formatAuditPage({ entries: [], total: 0 })).toBe('No audit entries match.');
  });
});

describe('the commands against a gateway', () => {
  let server: Server;
  let gateway: string;
  let requests: URL[];
  let handler: (req: IncomingMessage, res: ServerResponse) => void;

  beforeAll(async () => {
    server = createServer((req, res) => handler(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    gateway = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  beforeEach(() => {
    requests = [];
  });

  async function run(...args: string[]): Promise<{ stdout: string; exitCode: number | undefined }> {
    let stdout = '';
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = (chunk: string | Uint8Array) => {
      stdout += String(chunk);
      return true;
    };
    const program = new Command('cohort').exitOverride();
    registerAuditCommand(program);
    try {
      await program.parseAsync(['node', 'cohort', 'audit', ...args]);
    } finally {
      process.stdout.write = write;
    }
    const exitCode = typeof process.exitCode === 'number' ? process.exitCode : undefined;
    process.exitCode = undefined;
    return { stdout, exitCode };
  }

  it('list sends the filters as the gateway names them and prints the page as JSON', async () => {
    const page = { entries: [], total: 0 };
    handler = (req, res) => {
      requests.push(new URL(req.url!, gateway));
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(page));
    };
    const { stdout } = await run(
      'list',
      '--job',
      'j1',
      '--silo',
      'va',
      '--action',
      'job.accepted,job.declined',
      '--since',
      '2026-11-27',
      '--after-seq',
      '10',
      '--limit',
      '5',
      '--gateway',
      gateway,
      '--json',
    );
    expect(requests[0].pathname).toBe('/v1/audit');
    expect(Object.fromEntries(requests[0].searchParams)).toEqual({
      jobId: 'j1',
      siloId: 'va',
      action: 'job.accepted,job.declined',
      since: '2026-11-27T00:00:00.000Z',
      afterSeq: '10',
      limit: '5',
    });
    expect(JSON.parse(stdout.trim().split('\n').at(-1)!)).toEqual(page);
  });

  it("list passes on the gateway's refusal with its message", async () => {
    handler = (_req, res) => {
      res.statusCode = 400;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ error: { code: 'REQUEST_INVALID', message: 'invalid audit query' } }));
    };
    await expect(run('list', '--gateway', gateway)).rejects.toThrow(/HTTP 400\): invalid audit query/);
  });

  it('export asks for the format, writes the file and verify accepts it; a tampered copy exits 1', async () => {
    handler = (req, res) => {
      requests.push(new URL(req.url!, gateway));
      res.setHeader('content-type', 'application/x-ndjson');
      // In two pieces, as a stream arrives.
      res.write(jsonl.slice(0, 50));
      setTimeout(() => res.end(jsonl.slice(50)), 10);
    };
    const out = join(dir, 'cli-export.jsonl');
    const exported = await run(
      'export',
      '--out',
      out,
      '--actor',
      'aggregator',
      '--gateway',
      gateway,
      '--json',
    );
    expect(requests[0].pathname).toBe('/v1/audit/export');
    expect(Object.fromEntries(requests[0].searchParams)).toEqual({ actor: 'aggregator', format: 'jsonl' });
    expect(JSON.parse(exported.stdout.trim())).toMatchObject({ out, entries: 7, checkpoints: 1 });

    const pem = join(dir, 'cli-key.pem');
    await writeFile(pem, key.publicKey.export({ type: 'spki', format: 'pem' }));
    const ok = await run('verify', '--file', out, '--key', pem);
    expect(ok.exitCode).toBeUndefined();
    expect(ok.stdout.split('\n')[0]).toBe('OK: 7 entries, 1 checkpoints, 2 after the last checkpoint');

    await writeFile(out, jsonl.replace('"seq":6,', '"seq":9,'));
    const broken = await run('verify', '--file', out, '--key', pem, '--json');
    expect(broken.exitCode).toBe(1);
    expect(JSON.parse(broken.stdout.trim().split('\n').at(-1)!)).toMatchObject({
      ok: false,
      firstBrokenSeq: 6,
    });
  });

  it('export refuses an unknown format before asking the gateway', async () => {
    handler = () => {
      throw new Error('not called');
    };
    const err = await run('export', '--format', 'xml', '--out', join(dir, 'x'), '--gateway', gateway).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).exitCode).toBe(EXIT_BAD_ARGUMENTS);
    expect(requests).toHaveLength(0);
  });
});

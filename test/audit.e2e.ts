import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AUDIT_APPEND_ONLY_MESSAGE, readAuditExport } from '@cohort/audit';
import { readEnvironment } from '@cohort/config';
import { openDatabase, type Database } from '@cohort/storage';
import { COHORT_BIN } from '../services/cli/src/demo/processes.js';
import {
  EXAMPLES_DIR,
  freshPostgresDatabase,
  http,
  startFederation,
  waitFor,
  waitForConnected,
  type Federation,
} from './support/federation.js';

const run = promisify(execFile);

const HOSPITALS = ['cleveland', 'hungarian', 'switzerland', 'va'];
const ROUNDS = 2;
/** Who submits the job: the subject of the researcher's token. */
const RESEARCHER = 'ada.lovelace';
/** The compliance officer the audit commands run as (audit.read, audit.export). */
const AUDITOR = 'grace.compliance';

interface Entry {
  seq: number;
  time: string;
  actor: string;
  action: string;
  subject: string;
  details: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** `cohort <args>` as its own process; `token` becomes COHORT_TOKEN, as after `cohort login`. */
async function cohortAs(token: string | undefined, ...args: string[]): Promise<Outcome> {
  try {
    const { stdout, stderr } = await run(process.execPath, [COHORT_BIN, ...args], {
      timeout: 120_000,
      env: { ...process.env, COHORT_TOKEN: token ?? '' },
    });
    return { code: 0, stdout, stderr };
  } catch (err: any) {
    if (typeof err.code !== 'number') throw err;
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

/** Offline commands need no token; gateway commands run as the auditor once one is set. */
let auditorToken: string | undefined;
const cohort = (...args: string[]): Promise<Outcome> => cohortAs(auditorToken, ...args);

const lastJson = (stdout: string): any => JSON.parse(stdout.trim().split('\n').at(-1)!);

/** Submits the demo job for `rounds` rounds as RESEARCHER and waits for it to end. */
async function runJobAs(f: Federation, rounds: number, minSilos: number): Promise<any> {
  const token = await f.tokenFor(RESEARCHER, ['researcher']);
  const spec = JSON.parse(await readFile(join(EXAMPLES_DIR, 'job.json'), 'utf8'));
  const submitted = await http('POST', `${f.gatewayUrl}/v1/jobs`, { ...spec, rounds, minSilos }, { token });
  if (submitted.status !== 201) throw new Error(`submitting failed: ${JSON.stringify(submitted.body)}`);
  return waitFor(
    'the job to end',
    async () => {
      const r = await http('GET', `${f.gatewayUrl}/v1/jobs/${submitted.body.jobId}`, undefined, { token });
      return ['completed', 'failed', 'cancelled'].includes(r.body.status) ? r.body : undefined;
    },
    120_000,
  );
}

/** The whole trail, a page at a time, through the gateway. */
async function readTrail(f: Federation): Promise<Entry[]> {
  const entries: Entry[] = [];
  let afterSeq = 0;
  for (;;) {
    const r = await http('GET', `${f.gatewayUrl}/v1/audit?afterSeq=${afterSeq}&limit=500`);
    expect(r.status).toBe(200);
    entries.push(...r.body.entries);
    if (r.body.nextAfterSeq === undefined) return entries;
    afterSeq = r.body.nextAfterSeq;
  }
}

/** One JSON Lines record per line, with the line itself (for tampering). */
function records(text: string): { line: string; record: any }[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((line) => ({ line, record: JSON.parse(line) }));
}

/** The last character of the entry's actor, changed: one byte of one entry. */
function flipActorByte(line: string): string {
  return line.replace(/"actor":"([^"]*)([^"])"/, (_m, head: string, last: string) => {
    return `"actor":"${head}${last === 'x' ? 'y' : 'x'}"`;
  });
}

/** Rewrites the footer's counts to what the lines hold now, as a careful forger would. */
function fixFooter(lines: { line: string; record: any }[]): string {
  const entries = lines.filter((l) => l.record.type === 'entry').length;
  const checkpoints = lines.filter((l) => l.record.type === 'checkpoint').length;
  return (
    lines
      .map((l) =>
        l.record.type === 'footer' ? JSON.stringify({ ...l.record, entries, checkpoints }) : l.line,
      )
      .join('\n') + '\n'
  );
}

/**
 * The hospitals' patient records as the silos read them: every row, and every run of three consecutive values
 * of a row (with the commas between them).
 */
async function patientRecords(): Promise<{ rows: string[]; runs: Set<string> }> {
  const rows: string[] = [];
  const runs = new Set<string>();
  for (const h of HOSPITALS) {
    const text = await readFile(join(EXAMPLES_DIR, `../../data/heart-disease/processed.${h}.data`), 'utf8');
    for (const raw of text.split('\n')) {
      const row = raw.trim();
      if (row === '') continue;
      rows.push(row);
      const values = row.split(',');
      for (let i = 0; i + 3 <= values.length; i++) runs.add(values.slice(i, i + 3).join(','));
    }
  }
  return { rows, runs };
}

/** Every run of three comma-separated value-like tokens in `text`, bounded so "163.0" never matches "63.0". */
function valueRuns(text: string): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(/(?<![\w.?-])[\w.?-]+(?:,[\w.?-]+){2,}(?![\w.?-])/g)) {
    const tokens = m[0].split(',');
    for (let i = 0; i + 3 <= tokens.length; i++) found.push(tokens.slice(i, i + 3).join(','));
  }
  return found;
}

function numericArrayPath(value: unknown, path: string): string | undefined {
  if (Array.isArray(value)) {
    if (value.some((v) => typeof v === 'number')) return path;
    for (const [i, v] of value.entries()) {
      const found = numericArrayPath(v, `${path}[${i}]`);
      if (found) return found;
    }
  } else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      const found = numericArrayPath(v, `${path}.${k}`);
      if (found) return found;
    }
  }
  return undefined;
}

/**
 * Tampering with the audit tables as a database superuser would, each change undone before the next, and
 * `cohort audit verify` on the database after each. `open` opens the database; `source` is the verify flag.
 */
async function tamperWithDatabase(
  open: () => Promise<Database>,
  source: string[],
  keyFile: string,
): Promise<void> {
  const verify = async (): Promise<Outcome> => cohort('audit', 'verify', ...source, '--key', keyFile);
  const expectBrokenAt = async (seq: number, code: string): Promise<void> => {
    const r = await verify();
    expect(r.stdout).toContain(`BROKEN at entry ${seq}: ${code} `);
    expect(r.code).toBe(1);
  };
  const withDb = async <T>(fn: (db: Database) => Promise<T>): Promise<T> => {
    const db = await open();
    try {
      return await fn(db);
    } finally {
      await db.close();
    }
  };
  // A superuser's way round the append-only triggers: replica mode skips ordinary triggers, for this transaction.
  const asSuperuser = (db: Database, sql: string, params: unknown[] = []) =>
    db.transaction(async (tx) => {
      await tx.query('SET LOCAL session_replication_role = replica');
      return tx.query(sql, params);
    });

  const untouched = await verify();
  expect(untouched.stdout).toMatch(/^OK: \d+ entries, \d+ checkpoints, \d+ after the last checkpoint/);
  expect(untouched.code).toBe(0);

  const { target, checkpoints } = await withDb(async (db) => {
    // Without the superuser's switch the database itself refuses every change.
    await expect(db.query(`UPDATE audit_entries SET actor = 'x' WHERE seq = 2`)).rejects.toThrow(
      AUDIT_APPEND_ONLY_MESSAGE,
    );
    await expect(db.query('DELETE FROM audit_entries WHERE seq = 2')).rejects.toThrow(
      AUDIT_APPEND_ONLY_MESSAGE,
    );
    await expect(db.query('DELETE FROM audit_checkpoints WHERE seq = 1')).rejects.toThrow(
      AUDIT_APPEND_ONLY_MESSAGE,
    );
    const cps = await db.query<{ seq: number; from_seq: number; to_seq: number }>(
      'SELECT seq, from_seq, to_seq FROM audit_checkpoints ORDER BY seq',
    );
    // An entry inside a checkpoint's range, neither its first nor its last: the damage must show in the middle.
    const range = cps.find((c) => c.to_seq - c.from_seq >= 2)!;
    return { target: range.from_seq + 1, checkpoints: cps };
  });
  expect(checkpoints.length).toBeGreaterThanOrEqual(2);

  // One byte of one entry's actor.
  const original = await withDb(async (db) => {
    const [row] = await db.query<{ actor: string }>('SELECT actor FROM audit_entries WHERE seq = $1', [
      target,
    ]);
    const changed = row.actor.slice(0, -1) + (row.actor.endsWith('x') ? 'y' : 'x');
    await asSuperuser(db, 'UPDATE audit_entries SET actor = $1 WHERE seq = $2', [changed, target]);
    return row.actor;
  });
  await expectBrokenAt(target, 'HASH_MISMATCH');

  // Restored, then the entry deleted.
  await withDb(async (db) => {
    await asSuperuser(db, 'UPDATE audit_entries SET actor = $1 WHERE seq = $2', [original, target]);
    // Utility statements take no parameters; target is a number read from the database.
    await asSuperuser(
      db,
      `CREATE TABLE tampered_entries AS SELECT * FROM audit_entries WHERE seq = ${target}`,
    );
    await asSuperuser(db, 'DELETE FROM audit_entries WHERE seq = $1', [target]);
  });
  await expectBrokenAt(target, 'SEQUENCE_GAP');

  // Restored, then two neighbours swapped (each row takes the other's fields under its own seq).
  const swap = `UPDATE audit_entries a SET time = b.time, actor = b.actor, action = b.action, subject = b.subject,
    details = b.details, prev_hash = b.prev_hash, hash = b.hash, job_id = b.job_id, silo_id = b.silo_id
    FROM audit_entries b WHERE (a.seq = $1 AND b.seq = $1 + 1) OR (a.seq = $1 + 1 AND b.seq = $1)`;
  await withDb(async (db) => {
    await asSuperuser(db, 'INSERT INTO audit_entries SELECT * FROM tampered_entries');
    await asSuperuser(db, 'DROP TABLE tampered_entries');
    await asSuperuser(db, swap, [target]);
  });
  await expectBrokenAt(target, 'HASH_MISMATCH');

  // Restored, then a checkpoint dropped: the second when there are three or more (the last one can always be
  // dropped unnoticed, leaving its entries as an uncheckpointed tail), else the first.
  const dropped = checkpoints.length >= 3 ? checkpoints[1] : checkpoints[0];
  const firstUncovered = dropped.seq === 1 ? 1 : checkpoints[0].to_seq + 1;
  await withDb(async (db) => {
    await asSuperuser(db, swap, [target]);
    await asSuperuser(
      db,
      `CREATE TABLE tampered_checkpoints AS SELECT * FROM audit_checkpoints WHERE seq = ${dropped.seq}`,
    );
    await asSuperuser(db, 'DELETE FROM audit_checkpoints WHERE seq = $1', [dropped.seq]);
  });
  await expectBrokenAt(firstUncovered, 'CHECKPOINT_GAP');

  await withDb(async (db) => {
    await asSuperuser(db, 'INSERT INTO audit_checkpoints SELECT * FROM tampered_checkpoints');
    await asSuperuser(db, 'DROP TABLE tampered_checkpoints');
  });
  const restored = await verify();
  expect(restored.stdout).toBe(untouched.stdout);
  expect(restored.code).toBe(0);
}

describe('the audit trail of a two-round job, four hospitals on PGlite', () => {
  let f: Federation;
  let stopped = false;
  let job: any;
  let trail: Entry[];
  let work: string;
  let keyFile: string;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'cohort-audit-e2e-'));
    f = await startFederation();
    expect(f.database).toBe('pglite');
    keyFile = join(f.home, 'audit-key', 'public.pem');
    await Promise.all(HOSPITALS.map(async (h) => f.startSilo(h, await f.hospitalConfig(h))));
    await waitForConnected(f, HOSPITALS.length);
    job = await runJobAs(f, ROUNDS, HOSPITALS.length);
    auditorToken = await f.tokenFor(AUDITOR, ['compliance']);
    trail = await readTrail(f);
  }, 240_000);

  afterAll(async () => {
    if (f && !stopped) await f.stop({ keepHome: true });
    if (f) await rm(f.home, { recursive: true, force: true });
    if (work) await rm(work, { recursive: true, force: true });
  }, 60_000);

  it('records the job from submission to completion: who, which silos, each update and each release', () => {
    expect(job.status).toBe('completed');
    const jobId: string = job.jobId;
    const of = (action: string, match: (e: Entry) => boolean = () => true): Entry[] =>
      trail.filter((e) => e.action === action && match(e));
    const forJob = (e: Entry): boolean => e.details.jobId === jobId;

    const submitted = of('job.submitted', forJob);
    expect(submitted).toHaveLength(1);
    expect(submitted[0]).toMatchObject({ actor: `user:${RESEARCHER}`, subject: `job:${jobId}` });

    for (const h of HOSPITALS) {
      expect(of('job.accepted', (e) => forJob(e) && e.details.siloId === h)).toEqual([
        expect.objectContaining({ actor: `silo:${h}`, subject: `job:${jobId}` }),
      ]);
      // The silo agent's own attestation, checked when it connects.
      expect(of('attestation.verified', (e) => e.actor === `silo:${h}`).length).toBeGreaterThanOrEqual(1);
      const accepted = of('update.accepted', (e) => forJob(e) && e.details.siloId === h);
      expect(accepted.map((e) => e.details.round)).toEqual([1, 2]);
      for (const e of accepted) {
        // The aggregator accepts; the silo is named in the details.
        expect(e.actor).toBe('aggregator');
        expect(e.details.updateDigest).toMatch(/^[0-9a-f]{64}$/);
      }
      // The enclave's attestation, handed to the silo before it seals its first update (the silo reuses a
      // fresh verification for the rest of the job, so one per job is what to expect, not one per round).
      const issued = of('attestation.issued', (e) => forJob(e) && e.details.siloId === h);
      expect(issued.length).toBeGreaterThanOrEqual(1);
      expect(issued[0].seq).toBeLessThan(accepted[0].seq);
    }
    const released = of('aggregate.released', forJob);
    expect(released.map((e) => e.details.round)).toEqual([1, 2]);
    for (const e of released) expect(e.actor).toBe('aggregator');
    const completed = of('job.completed', forJob);
    expect(completed).toHaveLength(1);

    // In the order it happened.
    const seqOf = (e: Entry) => e.seq;
    const lastAccepted = (round: number) =>
      Math.max(...of('update.accepted', (e) => forJob(e) && e.details.round === round).map(seqOf));
    const firstAccepted = (round: number) =>
      Math.min(...of('update.accepted', (e) => forJob(e) && e.details.round === round).map(seqOf));
    expect(submitted[0].seq).toBeLessThan(Math.min(...of('job.accepted', forJob).map(seqOf)));
    expect(Math.max(...of('job.accepted', forJob).map(seqOf))).toBeLessThan(firstAccepted(1));
    expect(lastAccepted(1)).toBeLessThan(released[0].seq);
    expect(released[0].seq).toBeLessThan(firstAccepted(2));
    expect(lastAccepted(2)).toBeLessThan(released[1].seq);
    expect(released[1].seq).toBeLessThan(completed[0].seq);
    expect(trail.map(seqOf)).toEqual(trail.map((_, i) => i + 1));
  });

  it('verifies in place through the gateway, with a signed checkpoint per round at least', async () => {
    const r = await http('POST', `${f.gatewayUrl}/v1/audit/verify`, {});
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ ok: true });
    expect(r.body.checkpoints).toBeGreaterThanOrEqual(ROUNDS);
    expect(r.body.entries).toBeGreaterThanOrEqual(trail.length);
    expect(r.body.signers).toHaveLength(1);
  });

  it('exports JSON Lines and CSV that verify offline against the public key the aggregator wrote', async () => {
    expect(existsSync(keyFile)).toBe(true);
    for (const format of ['jsonl', 'csv']) {
      const out = join(work, `trail.${format}`);
      const exported = await cohort(
        'audit',
        'export',
        '--format',
        format,
        '--out',
        out,
        '--gateway',
        f.gatewayUrl,
        '--json',
      );
      expect(exported.stderr).toBe('');
      expect(exported.code).toBe(0);
      const summary = lastJson(exported.stdout);
      expect(summary).toMatchObject({ out, format, partial: false });
      expect(summary.entries).toBeGreaterThanOrEqual(trail.length);
      expect(summary.checkpoints).toBeGreaterThanOrEqual(ROUNDS);
      expect(existsSync(`${out}.partial`)).toBe(false);

      const verified = await cohort('audit', 'verify', '--file', out, '--key', keyFile);
      expect(verified.stdout).toMatch(
        new RegExp(
          `^OK: ${summary.entries} entries, ${summary.checkpoints} checkpoints, \\d+ after the last checkpoint`,
        ),
      );
      expect(verified.code).toBe(0);
    }
    // A selection (one job's entries) carries its covering checkpoints and verifies as such.
    const selection = join(work, 'job.jsonl');
    const filtered = await cohort(
      'audit',
      'export',
      '--job',
      job.jobId,
      '--out',
      selection,
      '--gateway',
      f.gatewayUrl,
    );
    expect(filtered.code).toBe(0);
    const checked = await cohort('audit', 'verify', '--file', selection, '--key', keyFile, '--json');
    expect(lastJson(checked.stdout)).toMatchObject({ ok: true, partial: true });
    expect(lastJson(checked.stdout).entries).toBe(trail.filter((e) => e.details.jobId === job.jobId).length);
    expect(checked.code).toBe(0);

    // Each download is itself on the record, under the auditor's name.
    const exports = (await readTrail(f)).filter((e) => e.action === 'audit.exported');
    expect(exports.map((e) => [e.actor, e.details.format])).toEqual([
      [`user:${AUDITOR}`, 'jsonl'],
      [`user:${AUDITOR}`, 'csv'],
      [`user:${AUDITOR}`, 'jsonl'],
    ]);
    // Without a pinned key there is nothing to check signatures against: refused as a bad argument.
    const unpinned = await cohort('audit', 'verify', '--file', join(work, 'trail.jsonl'));
    expect(unpinned.code).toBe(2);
    expect(unpinned.stderr).toContain('public.pem');
  }, 60_000);

  it('lists a page of the trail filtered by job and action, as a table and as JSON', async () => {
    const args = ['audit', 'list', '--job', job.jobId, '--action', 'aggregate.released,job.completed'];
    const json = await cohort(...args, '--gateway', f.gatewayUrl, '--json');
    expect(json.code).toBe(0);
    const page = lastJson(json.stdout);
    expect(page.entries.map((e: Entry) => e.action)).toEqual([
      'aggregate.released',
      'aggregate.released',
      'job.completed',
    ]);
    expect(page.total).toBe(3);
    const table = await cohort(...args, '--limit', '2', '--gateway', f.gatewayUrl);
    expect(table.code).toBe(0);
    const lines = table.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^SEQ +TIME +ACTOR +ACTION +SUBJECT +DETAILS$/);
    expect(lines[1]).toMatch(/ aggregator +aggregate\.released +job:[0-9a-f-]{36} +.*round=1/);
    expect(lines.at(-1)).toBe(
      `2 of 3 matching entries (seq ${page.entries[0].seq}–${page.entries[1].seq}); next page: --after-seq ${page.entries[1].seq}`,
    );
  }, 60_000);

  it('holds no patient record: no row, no three consecutive values of a row, no list of numbers', async () => {
    const { rows, runs } = await patientRecords();
    expect(rows.length).toBeGreaterThan(900);
    for (const format of ['jsonl', 'csv']) {
      const text = await readFile(join(work, `trail.${format}`), 'utf8');
      expect(rows.filter((row) => text.includes(row))).toEqual([]);
      expect(valueRuns(text).filter((run) => runs.has(run))).toEqual([]);
    }
    const exported = records(await readFile(join(work, 'trail.jsonl'), 'utf8'));
    const entries = exported.filter((r) => r.record.type === 'entry').map((r) => r.record as Entry);
    expect(entries.length).toBeGreaterThanOrEqual(trail.length);
    expect(entries.map((e) => numericArrayPath(e.details, `entry ${e.seq} details`)).filter(Boolean)).toEqual(
      [],
    );
  });

  it('names the first broken entry of a tampered export: a byte changed, an entry deleted, two swapped, a checkpoint dropped', async () => {
    const original = records(await readFile(join(work, 'trail.jsonl'), 'utf8'));
    const entryIndex = (seq: number) =>
      original.findIndex((r) => r.record.type === 'entry' && r.record.seq === seq);
    const checkpoints = original.filter((r) => r.record.type === 'checkpoint').map((r) => r.record);
    const target = trail.find((e) => e.action === 'update.accepted')!.seq;

    const check = async (
      name: string,
      text: string,
      seq: number | undefined,
      code: string,
    ): Promise<void> => {
      const path = join(work, `tampered-${name}.jsonl`);
      await writeFile(path, text);
      const r = await cohort('audit', 'verify', '--file', path, '--key', keyFile, '--json');
      const result = lastJson(r.stdout);
      expect({
        name,
        ok: result.ok,
        firstBrokenSeq: result.firstBrokenSeq,
        code: result.fault?.code,
      }).toEqual({
        name,
        ok: false,
        firstBrokenSeq: seq,
        code,
      });
      expect(r.code).toBe(1);
    };
    const without = (i: number) => original.filter((_, j) => j !== i);

    const flipped = original.map((r, i) =>
      i === entryIndex(target) ? { ...r, line: flipActorByte(r.line) } : r,
    );
    expect(flipped[entryIndex(target)].line).not.toBe(original[entryIndex(target)].line);
    await check('byte', fixFooter(flipped), target, 'HASH_MISMATCH');

    await check('deleted', fixFooter(without(entryIndex(target))), target, 'SEQUENCE_GAP');
    // Deleted without fixing the footer: the export itself does not add up.
    const unfixed = without(entryIndex(target));
    await check(
      'deleted-unfixed',
      unfixed.map((r) => r.line).join('\n') + '\n',
      undefined,
      'EXPORT_MALFORMED',
    );

    const swapped = [...original];
    [swapped[entryIndex(target)], swapped[entryIndex(target + 1)]] = [
      original[entryIndex(target + 1)],
      original[entryIndex(target)],
    ];
    await check('swapped', fixFooter(swapped), target, 'SEQUENCE_ORDER');

    // The last checkpoint could be dropped unnoticed (its entries become an uncheckpointed tail); an earlier one not.
    const drop = checkpoints.length >= 3 ? 1 : 0;
    const cpIndex = original.findIndex(
      (r) => r.record.type === 'checkpoint' && r.record.seq === checkpoints[drop].seq,
    );
    await check(
      'checkpoint',
      fixFooter(without(cpIndex)),
      drop === 0 ? 1 : checkpoints[0].toSeq + 1,
      'CHECKPOINT_GAP',
    );

    // The CSV export too: one byte of the same entry.
    const csv = await readFile(join(work, 'trail.csv'), 'utf8');
    const csvLines = csv.split('\r\n');
    const row = csvLines.findIndex((l) => l.startsWith(`entry,${target},`));
    const fields = csvLines[row].split(',');
    fields[3] = fields[3].slice(0, -1) + (fields[3].endsWith('x') ? 'y' : 'x');
    csvLines[row] = fields.join(',');
    const csvPath = join(work, 'tampered-byte.csv');
    await writeFile(csvPath, csvLines.join('\r\n'));
    const r = await cohort('audit', 'verify', '--file', csvPath, '--key', keyFile);
    expect(r.stdout).toContain(`BROKEN at entry ${target}: HASH_MISMATCH `);
    expect(r.code).toBe(1);
  }, 90_000);

  it("verifies each hospital's own log and cross-checks it against the aggregator's export", async () => {
    const exportFile = join(work, 'trail.jsonl');
    for (const h of HOSPITALS) {
      const stateDir = join(f.home, 'silos', h);
      const log = join(stateDir, 'audit.jsonl');
      const verified = await cohort('audit', 'verify', '--silo-log', log, '--key', stateDir, '--json');
      expect({ h, result: lastJson(verified.stdout) }).toMatchObject({ h, result: { ok: true } });
      expect(verified.code).toBe(0);
      // The hospital's own record begins with its enrolment: which key joined, and where.
      const own = await readAuditExport(await readFile(log, 'utf8'));
      expect(own.entries[0]).toMatchObject({
        seq: 1,
        actor: `silo:${h}`,
        action: 'silo.enrolled',
        details: expect.objectContaining({
          siloId: h,
          keyFingerprint: expect.stringMatching(/^[0-9a-f]{64}$/),
        }),
      });

      const args = ['audit', 'cross-check', '--silo-log', log, '--export', exportFile];
      const checked = await cohort(...args, '--key', stateDir, '--key', keyFile, '--json');
      const result = lastJson(checked.stdout);
      expect({ h, ok: result.ok, rounds: result.matched.map((m: any) => m.round) }).toEqual({
        h,
        ok: true,
        rounds: [1, 2],
      });
      expect(result.verification).toMatchObject({ siloLog: { ok: true }, export: { ok: true } });
      expect(checked.code).toBe(0);
    }

    // The aggregator's record loses cleveland's second update: the hospital's log says it was sent.
    const lines = records(await readFile(exportFile, 'utf8')).filter(
      (r) =>
        !(
          r.record.action === 'update.accepted' &&
          r.record.details.siloId === 'cleveland' &&
          r.record.details.round === 2
        ),
    );
    const short = join(work, 'trail-without-an-update.jsonl');
    await writeFile(short, fixFooter(lines));
    const log = join(f.home, 'silos', 'cleveland', 'audit.jsonl');
    const r = await cohort('audit', 'cross-check', '--silo-log', log, '--export', short);
    expect(r.stdout).toMatch(
      /ONLY IN THE SILO'S LOG job [0-9a-f-]{36} round 2: sent [0-9a-f]{16}… \(silo entry \d+\), neither accepted nor rejected on record/,
    );
    expect(r.stdout).toContain('DISCREPANCIES');
    expect(r.code).toBe(1);
  }, 90_000);

  it('names the first broken entry when the stored trail is changed, an entry deleted, two swapped or a checkpoint dropped', async () => {
    await f.stop({ keepHome: true });
    stopped = true;
    const dataDir = join(f.home, 'pgdata');
    await tamperWithDatabase(() => openDatabase({ dataDir }), ['--data-dir', dataDir], keyFile);
  }, 120_000);
});

const postgres = readEnvironment().testDatabaseUrl ? describe : describe.skip;

postgres('tampering with the audit tables on PostgreSQL', () => {
  let f: Federation | undefined;
  let db: Awaited<ReturnType<typeof freshPostgresDatabase>>;

  beforeAll(async () => {
    db = await freshPostgresDatabase();
    f = await startFederation({ databaseUrl: db!.url });
    expect(f.database).toBe('postgres');
    // Two hospitals and one round are enough entries and, with the final one at shutdown, two checkpoints.
    await Promise.all(HOSPITALS.slice(0, 2).map(async (h) => f!.startSilo(h, await f!.hospitalConfig(h))));
    await waitForConnected(f, 2);
    expect((await runJobAs(f, 1, 2)).status).toBe('completed');
    await f.stop({ keepHome: true });
  }, 240_000);

  afterAll(async () => {
    if (f) await rm(f.home, { recursive: true, force: true });
    await db?.drop();
  }, 60_000);

  it('names the first broken entry on a live server, read only', async () => {
    await tamperWithDatabase(
      () => openDatabase({ url: db!.url }),
      ['--database-url', db!.url],
      join(f!.home, 'audit-key', 'public.pem'),
    );
  }, 120_000);
});

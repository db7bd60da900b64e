import { openDatabase, type Database, type TestDatabase } from '@cohort/storage';
import { AuditLog } from './audit-log.js';
import { createCheckpointSigner } from './checkpoint.js';
import { entryHash } from './entry.js';
import { PostgresAuditStore } from './postgres-store.js';
import { AUDIT_SCHEMA_SQL, ensureAuditSchema } from './schema.js';
import { auditBackends } from './testing/backends.js';
import { randomKey, rfc8037Key } from './testing/keys.js';
import { verifyAuditStore } from './verify.js';
import { assertChained, draft, storeContract } from './testing/store-contract.js';

const backends = await auditBackends();
const signer = createCheckpointSigner(rfc8037Key().privateKey);
const TIME = '2025-03-01T12:10:00.000Z';

async function failure(p: Promise<unknown>): Promise<{ code?: string; message: string }> {
  try {
    await p;
  } catch (err) {
    return err as { code?: string; message: string };
  }
  throw new Error('expected the statement to be refused');
}

// One database per backend for the whole file (PGlite takes seconds to start on a busy machine); tests that
// need an empty log drop and recreate the audit tables, which the append-only triggers do not prevent.
const shared = new Map<string, Promise<TestDatabase>>();
function sharedDatabase(backend: (typeof backends)[number]): Promise<TestDatabase> {
  let t = shared.get(backend.name);
  if (!t) shared.set(backend.name, (t = backend.open()));
  return t;
}
async function emptyAuditTables(db: Database): Promise<void> {
  await db.query('DROP TABLE IF EXISTS audit_entries, audit_checkpoints');
  await ensureAuditSchema(db);
}
afterAll(async () => {
  for (const t of shared.values()) await (await t).close();
});

describe.each(backends)('PostgresAuditStore on $name: the AuditStore contract', (backend) => {
  it.each(storeContract)('%s', async (_name, check) => {
    const { db } = await sharedDatabase(backend);
    await emptyAuditTables(db);
    await check(new PostgresAuditStore(db));
  });
});

describe.each(backends)('the audit schema on $name', (backend) => {
  let db: Database;

  beforeAll(async () => {
    db = (await sharedDatabase(backend)).db;
    await db.query('DROP TABLE IF EXISTS audit_entries, audit_checkpoints');
    // As the aggregator's migration will run it; twice, since it must be idempotent.
    await db.transaction((tx) => tx.query(AUDIT_SCHEMA_SQL));
    await ensureAuditSchema(db);
    const store = new PostgresAuditStore(db);
    await store.append([
      draft({ details: { jobId: 'j1', siloId: 'cleveland' } }),
      draft({ actor: 'user:admin', action: 'silo.revoked', subject: 'silo:va', details: {} }),
    ]);
    await store.checkpoint(signer, TIME);
  });

  it.each([
    ['UPDATE', "UPDATE audit_entries SET actor = 'user:mallory' WHERE seq = 1", 'audit_entries'],
    ['DELETE', 'DELETE FROM audit_entries WHERE seq = 2', 'audit_entries'],
    ['TRUNCATE', 'TRUNCATE audit_entries', 'audit_entries'],
    ['UPDATE', "UPDATE audit_checkpoints SET signer = 'x'", 'audit_checkpoints'],
    ['DELETE', 'DELETE FROM audit_checkpoints', 'audit_checkpoints'],
    ['TRUNCATE', 'TRUNCATE audit_checkpoints', 'audit_checkpoints'],
  ])('refuses %s on %s', async (op, sql, table) => {
    const err = await failure(db.query(sql));
    expect(err.message).toBe(`audit entries are append-only: ${op} on ${table} is refused`);
    expect(err.code).toBe('23001');
    const [{ entries, checkpoints }] = await db.query<{ entries: number; checkpoints: number }>(
      'SELECT (SELECT count(*) FROM audit_entries) AS entries, (SELECT count(*) FROM audit_checkpoints) AS checkpoints',
    );
    expect({ entries, checkpoints }).toEqual({ entries: 2, checkpoints: 1 });
  });

  it('lets a superuser switch the triggers off, which is what tampering needs', async () => {
    await db.query('ALTER TABLE audit_entries DISABLE TRIGGER ALL');
    try {
      await db.query(`UPDATE audit_entries SET details = '{"jobId":"j9"}' WHERE seq = 1`);
    } finally {
      await db.query('ALTER TABLE audit_entries ENABLE TRIGGER ALL');
    }
    const [row] = await db.query<{ details: unknown }>('SELECT details FROM audit_entries WHERE seq = 1');
    expect(row.details).toEqual({ jobId: 'j9' });
    expect((await failure(db.query('DELETE FROM audit_entries'))).code).toBe('23001');
  });

  it('refuses rows that break the format, even from SQL', async () => {
    const insert = (action: string, hash: string) =>
      db.query(
        `INSERT INTO audit_entries (seq, time, actor, action, subject, details, prev_hash, hash)
         VALUES (99, now(), 'x', $1, 'y', '{}', $2, $2)`,
        [action, hash],
      );
    expect((await failure(insert('Job.Submitted', 'ab'.repeat(32)))).code).toBe('23514');
    expect((await failure(insert('job.submitted', 'AB'.repeat(32)))).code).toBe('23514');
  });

  it('indexes the job and silo each entry concerns', async () => {
    const rows = await db.query('SELECT seq, job_id, silo_id FROM audit_entries ORDER BY seq');
    expect(rows).toEqual([
      { seq: 1, job_id: 'j1', silo_id: 'cleveland' },
      { seq: 2, job_id: null, silo_id: 'va' },
    ]);
  });
});

describe.each(backends)('several writers on $name', (backend) => {
  let t: TestDatabase;
  let second: Database;

  beforeAll(async () => {
    t = await sharedDatabase(backend);
    // Another process has its own connections; PGlite has only one database handle to share.
    second = backend.name === 'postgres' ? await openDatabase({ url: t.url }) : t.db;
  });
  beforeEach(() => emptyAuditTables(t.db));
  afterAll(async () => {
    if (second !== t.db) await second.close();
  });

  it('keep one chain when a writer finds the head moved since its last batch', async () => {
    const a = new PostgresAuditStore(t.db);
    const b = new PostgresAuditStore(second);
    await a.append([draft()]);
    await b.append([draft(), draft()]);
    // a still believes entry 1 is the head; its batch must land after entry 3, not fork the chain.
    const [entry] = await a.append([draft({ actor: 'gateway' })]);
    expect(entry.seq).toBe(4);
    assertChained(await a.listEntries());
  });

  it('keep one chain and one checkpoint sequence when appending and checkpointing at once', async () => {
    const writers = [
      new PostgresAuditStore(t.db),
      new PostgresAuditStore(second, { synchronousCommit: false }),
    ];
    const signers = [signer, createCheckpointSigner(randomKey().privateKey)];
    await Promise.all(
      writers.map(async (store, w) => {
        for (let i = 0; i < 40; i++) {
          const batch = Array.from({ length: 1 + (i % 3) }, () => draft({ details: { writer: w, i } }));
          await Promise.all([store.append(batch), i % 10 === 9 ? store.checkpoint(signers[w], TIME) : null]);
        }
      }),
    );
    const entries = await writers[0].listEntries();
    expect(entries).toHaveLength(2 * (14 * 1 + 13 * 2 + 13 * 3));
    assertChained(entries);
    const checkpoints = await writers[1].listCheckpoints();
    expect(checkpoints.length).toBeGreaterThanOrEqual(2);
    checkpoints.forEach((c, i) => {
      expect(c.seq).toBe(i + 1);
      expect(c.fromSeq).toBe(i === 0 ? 1 : checkpoints[i - 1].toSeq + 1);
      expect(c.headHash).toBe(entries[c.toSeq - 1].hash);
    });
  });
});

describe.each(backends)('round checkpoints on $name', (backend) => {
  let db: Database;
  const key = rfc8037Key();
  const verify = () => verifyAuditStore(new PostgresAuditStore(db), [key.publicKey]);

  beforeAll(async () => {
    db = (await sharedDatabase(backend)).db;
  });
  beforeEach(() => emptyAuditTables(db));

  /** The database as one store sees it, counting the statements it sends. */
  function counted(): { db: Database; statements: string[] } {
    const statements: string[] = [];
    const wrapped: Database = Object.create(db) as Database;
    wrapped.query = (sql, params) => {
      statements.push(sql);
      return db.query(sql, params);
    };
    wrapped.transaction = (fn) =>
      db.transaction((tx) =>
        fn({
          query: (sql, params) => {
            statements.push(sql);
            return tx.query(sql, params);
          },
        }),
      );
    return { db: wrapped, statements };
  }

  it('are written from what the store appended itself: one statement, no read back', async () => {
    const { db: wrapped, statements } = counted();
    const log = new AuditLog({ store: new PostgresAuditStore(wrapped), signingKey: key.privateKey });
    await log.append({ actor: 'aggregator', action: 'job.submitted', subject: 'job:j1', details: {} });
    await log.checkpoint();
    for (let round = 1; round <= 3; round++) {
      statements.length = 0;
      await Promise.all([
        log.append({
          actor: 'aggregator',
          action: 'aggregate.released',
          subject: 'job:j1',
          details: { round },
        }),
        log.append({ actor: 'aggregator', action: 'update.accepted', subject: 'job:j1', details: { round } }),
      ]);
      await log.checkpoint();
      expect(statements.filter((q) => /\bSELECT\b[^(]*\bFROM audit_/i.test(q))).toEqual([]);
      expect(statements.filter((q) => /INSERT INTO audit_checkpoints/.test(q))).toHaveLength(1);
    }
    expect(await verify()).toMatchObject({ ok: true, entries: 7, checkpoints: 4, uncheckpointedTail: 0 });
  });

  it('fall back to the database when another writer appended or checkpointed in between', async () => {
    const other =
      backend.name === 'postgres' ? await openDatabase({ url: (await sharedDatabase(backend)).url }) : db;
    try {
      const a = new PostgresAuditStore(db);
      const b = new PostgresAuditStore(other);
      await a.append([draft()]);
      await a.checkpoint(signer, TIME);
      await a.append([draft()]);
      // b checkpoints entry 2, which a appended and still means to checkpoint itself.
      expect(await b.checkpoint(signer, TIME)).toMatchObject({ seq: 2, fromSeq: 2, toSeq: 2 });
      expect(await a.checkpoint(signer, TIME)).toBeNull();
      await b.append([draft(), draft()]);
      await a.append([draft()]);
      // a's run of its own entries was broken by b's: its checkpoint covers b's entries too.
      expect(await a.checkpoint(signer, TIME)).toMatchObject({ seq: 3, fromSeq: 3, toSeq: 5 });
      const report = await verifyAuditStore(a, [rfc8037Key().publicKey]);
      expect(report).toMatchObject({ ok: true, entries: 5, checkpoints: 3, uncheckpointedTail: 0 });
    } finally {
      if (other !== db) await other.close();
    }
  });
});

describe.each(backends)('tampering by a database superuser on $name', (backend) => {
  let db: Database;
  const key = rfc8037Key();

  // 30 entries; checkpoints over 1–10 and 11–20; 21–30 not yet checkpointed.
  beforeEach(async () => {
    db = (await sharedDatabase(backend)).db;
    await emptyAuditTables(db);
    const log = new AuditLog({ store: new PostgresAuditStore(db), signingKey: key.privateKey });
    for (let i = 1; i <= 30; i++) {
      await log.append({
        actor: 'aggregator',
        action: 'update.accepted',
        subject: 'job:j1',
        details: { i, siloId: 'va' },
      });
      if (i === 10 || i === 20) await log.checkpoint();
    }
  });

  async function asSuperuser(sql: string, params?: unknown[]): Promise<void> {
    await db.query(
      'ALTER TABLE audit_entries DISABLE TRIGGER ALL; ALTER TABLE audit_checkpoints DISABLE TRIGGER ALL',
    );
    try {
      await db.query(sql, params);
    } finally {
      await db.query(
        'ALTER TABLE audit_entries ENABLE TRIGGER ALL; ALTER TABLE audit_checkpoints ENABLE TRIGGER ALL',
      );
    }
  }
  const verify = () => verifyAuditStore(new PostgresAuditStore(db), [key.publicKey]);

  it('leaves an untouched log verifying', async () => {
    expect(await verify()).toMatchObject({ ok: true, entries: 30, checkpoints: 2, uncheckpointedTail: 10 });
  });

  it('is caught when a detail is edited', async () => {
    await asSuperuser(
      `UPDATE audit_entries SET details = jsonb_set(details, '{siloId}', '"hungary"') WHERE seq = 5`,
    );
    expect(await verify()).toMatchObject({ ok: false, fault: { code: 'HASH_MISMATCH', seq: 5 } });
  });

  it('is caught when an entry is deleted, even one not yet checkpointed', async () => {
    await asSuperuser('DELETE FROM audit_entries WHERE seq = 25');
    expect(await verify()).toMatchObject({ ok: false, fault: { code: 'SEQUENCE_GAP', seq: 25 } });
  });

  it('is caught when an entry is rewritten with its hash recomputed', async () => {
    const [row] = await new PostgresAuditStore(db).listEntries({ fromSeq: 7, toSeq: 7 });
    const forged = { ...row, actor: 'user:mallory' };
    await asSuperuser('UPDATE audit_entries SET actor = $1, hash = $2 WHERE seq = 7', [
      forged.actor,
      entryHash(forged),
    ]);
    expect(await verify()).toMatchObject({ ok: false, fault: { code: 'CHAIN_BROKEN', seq: 8 } });
  });

  it('is caught by the signed checkpoint when the whole chain after an edit is recomputed', async () => {
    const store = new PostgresAuditStore(db);
    const entries = await store.listEntries();
    entries[14].actor = 'user:mallory';
    for (let i = 14; i < entries.length; i++) {
      if (i > 14) entries[i].prevHash = entries[i - 1].hash;
      entries[i].hash = entryHash(entries[i]);
      await asSuperuser('UPDATE audit_entries SET actor = $1, prev_hash = $2, hash = $3 WHERE seq = $4', [
        entries[i].actor,
        entries[i].prevHash,
        entries[i].hash,
        entries[i].seq,
      ]);
    }
    expect(await verify()).toMatchObject({
      ok: false,
      fault: { code: 'CHECKPOINT_HEAD', seq: 11, checkpointSeq: 2 },
    });
  });

  it('is caught when a checkpoint is deleted or its root replaced', async () => {
    await asSuperuser('DELETE FROM audit_checkpoints WHERE seq = 1');
    expect(await verify()).toMatchObject({
      ok: false,
      fault: { code: 'CHECKPOINT_GAP', checkpointSeq: 1, seq: 1 },
    });
    await emptyAuditTables(db);
    const log = new AuditLog({ store: new PostgresAuditStore(db), signingKey: key.privateKey });
    for (let i = 1; i <= 3; i++)
      await log.append({ actor: 'aggregator', action: 'job.completed', subject: 'job:j1' });
    await log.close();
    await asSuperuser(`UPDATE audit_checkpoints SET merkle_root = repeat('0', 64)`);
    expect(await verify()).toMatchObject({
      ok: false,
      fault: { code: 'CHECKPOINT_SIGNATURE', checkpointSeq: 1 },
    });
  });
});

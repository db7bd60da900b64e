import { migrate, storageBackends, type Database, type TestDatabase } from '@cohort/storage';
import { MIGRATIONS_DIR } from '../database/database.providers.js';
import { LeaseRepository } from './lease.repository.js';

const backends = await storageBackends();

describe.each(backends)('job leases on $name', ({ name, open }) => {
  let t: TestDatabase;
  let db: Database;
  let leases: LeaseRepository;

  beforeAll(async () => {
    t = await open();
    db = t.db;
    await migrate(db, MIGRATIONS_DIR);
    leases = new LeaseRepository(db);
  });
  afterAll(async () => {
    await t?.close();
  });

  async function job(id: string, status = 'running'): Promise<string> {
    await db.query(`INSERT INTO jobs (id, spec, status, submitted_by) VALUES ($1, '{}', $2, 'ada')`, [
      id,
      status,
    ]);
    return id;
  }
  const expire = (jobId: string) =>
    db.query(`UPDATE job_leases SET expires_at = now() - interval '1 second' WHERE job_id = $1`, [jobId]);

  it('gives each unfinished job to one replica, and a live lease to nobody else', async () => {
    await job('a1');
    await job('a2', 'pending');
    await job('a3', 'completed');
    const first = await leases.claim('replica-1', 10_000, 10);
    expect(first.map((c) => c.jobId).sort()).toEqual(['a1', 'a2']);
    expect(first.every((c) => c.generation === 1 && c.previousOwner === null)).toBe(true);
    expect(await leases.claim('replica-2', 10_000, 10)).toEqual([]);
    // Its own holder may claim again (a restart under the same name) without a new generation.
    const again = await leases.claim('replica-1', 10_000, 10, 'a1');
    expect(again).toEqual([{ jobId: 'a1', generation: 1, previousOwner: null }]);
  });

  it('hands an expired lease to the next replica, which the old holder then fails to renew', async () => {
    await expire('a1');
    const taken = await leases.claim('replica-2', 10_000, 10);
    expect(taken).toEqual([{ jobId: 'a1', generation: 2, previousOwner: 'replica-1' }]);
    expect(await leases.renew('replica-1', ['a1', 'a2'], 10_000)).toEqual(['a2']);
    expect((await leases.get('a1'))?.owner).toBe('replica-2');
  });

  it('renews into the future and stops renewing a job that ended', async () => {
    const before = (await leases.get('a2'))?.expiresAt.getTime() ?? 0;
    await new Promise((r) => setTimeout(r, 20));
    expect(await leases.renew('replica-1', ['a2'], 60_000)).toEqual(['a2']);
    expect((await leases.get('a2'))?.expiresAt.getTime()).toBeGreaterThan(before + 40_000);
    await db.query(`UPDATE jobs SET status = 'cancelled' WHERE id = 'a2'`);
    expect(await leases.renew('replica-1', ['a2'], 60_000)).toEqual([]);
  });

  it('releases one lease or all of an owner’s, leaving others’ alone', async () => {
    await job('a4');
    await job('a5');
    expect((await leases.claim('replica-1', 10_000, 10)).map((c) => c.jobId).sort()).toEqual(['a4', 'a5']);
    await leases.release('replica-1', 'a4');
    expect(await leases.get('a4')).toBeUndefined();
    await leases.release('replica-1');
    expect(await leases.get('a5')).toBeUndefined();
    expect((await leases.get('a1'))?.owner).toBe('replica-2');
  });

  if (name === 'postgres') {
    it('splits jobs between replicas claiming at the same moment (SKIP LOCKED), never both', async () => {
      await Promise.all(Array.from({ length: 12 }, (_, i) => job(`c${i}`)));
      const owners = ['r-a', 'r-b', 'r-c'];
      // Who holds what, by the claims' answers; a job answered to two owners would be a double lease.
      const held = new Map<string, string>();
      const record = (owner: string, claimed: { jobId: string }[]): void => {
        for (const { jobId } of claimed) {
          expect(held.get(jobId) ?? owner).toBe(owner);
          held.set(jobId, owner);
        }
      };
      const first = await Promise.all(owners.map((o) => leases.claim(o, 10_000, 4)));
      first.forEach((claimed, i) => record(owners[i], claimed));
      expect(first.every((claimed) => claimed.length <= 4)).toBe(true);
      // A claimer whose snapshot predates another's commit may pick jobs just taken and get none of them: its claim
      // comes up short (never doubled), and the rest is claimed at a next heartbeat, as here.
      for (let beat = 0; beat < 3 && held.size < 12; beat++) {
        for (const o of owners) record(o, await leases.claim(o, 10_000, 4));
      }
      expect(held.size).toBe(12);
      const rows = await db.query<{ job_id: string; owner: string }>(
        `SELECT job_id, owner FROM job_leases WHERE owner LIKE 'r-%'`,
      );
      expect(new Map(rows.map((r) => [r.job_id, r.owner]))).toEqual(held);
    });
  }
});

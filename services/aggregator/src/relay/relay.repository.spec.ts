import { migrate, storageBackends, type Database, type TestDatabase } from '@cohort/storage';
import { TaskKind, type Task, type UpdateChunk } from '@cohort/protocol';
import { MIGRATIONS_DIR } from '../database/database.providers.js';
import { decodeRequest, decodeTask, encodeRequest, encodeTask } from './relay-codec.js';
import { RelayRepository } from './relay.repository.js';

const backends = await storageBackends();

describe('relay codec', () => {
  it('carries a task and an update header through bytes unchanged', () => {
    const task = {
      taskId: 't1',
      kind: TaskKind.TASK_KIND_TRAIN,
      jobId: 'j1',
      round: 3,
      nonce: Buffer.from('00ff10', 'hex'),
      deadlineUnixMs: 1_795_805_569_114,
      modelWeights: Buffer.from([1, 2, 3, 4]),
      reason: '',
    } as Partial<Task>;
    const back = decodeTask<Task>(encodeTask(task));
    expect(back.taskId).toBe('t1');
    expect(back.kind).toBe(TaskKind.TASK_KIND_TRAIN);
    expect(back.round).toBe(3);
    expect(back.deadlineUnixMs).toBe(1_795_805_569_114);
    expect(Buffer.from(back.nonce).toString('hex')).toBe('00ff10');
    expect(Buffer.from(back.modelWeights)).toEqual(Buffer.from([1, 2, 3, 4]));
    const header = { jobId: 'j1', round: 3, siloId: 'va', payloadBytes: 92, signatureJws: 'x.y.z' };
    const chunk = decodeRequest<UpdateChunk>('Upload', encodeRequest('Upload', { header }));
    expect(chunk.header).toMatchObject(header);
  });
});

describe.each(backends)('relay tables on $name', ({ open }) => {
  let t: TestDatabase;
  let db: Database;
  let relay: RelayRepository;

  beforeAll(async () => {
    t = await open();
    db = t.db;
    await migrate(db, MIGRATIONS_DIR);
    relay = new RelayRepository(db);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('says which replica holds each silo, and a silo that moved belongs to its new replica', async () => {
    await relay.publishPresence('r1', [
      { siloId: 'va', datasetIds: ['heart'] },
      { siloId: 'cleveland', datasetIds: ['heart'] },
    ]);
    await relay.publishPresence('r2', [{ siloId: 'va', datasetIds: ['heart'] }]);
    await relay.publishPresence('r1', [{ siloId: 'cleveland', datasetIds: ['heart'] }]);
    expect(await relay.othersPresence('r2', 3000)).toEqual([
      { siloId: 'cleveland', replica: 'r1', datasetIds: ['heart'] },
    ]);
    expect(await relay.othersPresence('r1', 3000)).toEqual([
      { siloId: 'va', replica: 'r2', datasetIds: ['heart'] },
    ]);
    await relay.forgetPresence('r1');
    expect(await relay.othersPresence('r2', 3000)).toEqual([]);
  });

  it('hands each queued task over once, in the order it was sent', async () => {
    for (const b of ['a', 'b', 'c']) await relay.enqueueTask('va', Buffer.from(b));
    await relay.enqueueTask('hungarian', Buffer.from('h'));
    const taken = await relay.takeTasks(['va']);
    expect(taken.map((x) => x.task.toString())).toEqual(['a', 'b', 'c']);
    expect(await relay.takeTasks(['va'])).toEqual([]);
    expect((await relay.takeTasks(['va', 'hungarian'])).map((x) => x.siloId)).toEqual(['hungarian']);
  });

  it('serves a call to its target only, once, and returns the answer to the caller', async () => {
    const id = await relay.placeCall('r1', 'Upload', 'va', Buffer.from('req'), Buffer.from('payload'));
    expect(await relay.takeCalls('r2')).toEqual([]);
    const [call] = await relay.takeCalls('r1');
    expect(call).toMatchObject({ id, method: 'Upload', siloId: 'va' });
    expect(call.payload?.toString()).toBe('payload');
    expect(await relay.takeCalls('r1')).toEqual([]);
    expect(await relay.answerOf(id)).toBeUndefined();
    await relay.answer(id, { response: null, errorCode: 'UPDATE_BAD_NONCE', errorMessage: 'no' });
    expect(await relay.answerOf(id)).toEqual({
      response: null,
      errorCode: 'UPDATE_BAD_NONCE',
      errorMessage: 'no',
    });
    await relay.deleteCall(id);
    expect(await relay.answerOf(id)).toBeUndefined();
  });

  it('names a job’s owner only while its lease is live', async () => {
    await db.query(`INSERT INTO jobs (id, spec, status, submitted_by) VALUES ('j9', '{}', 'running', 'ada')`);
    await db.query(
      `INSERT INTO job_leases (job_id, owner, expires_at) VALUES ('j9', 'r1', now() + interval '10 seconds')`,
    );
    expect(await relay.leaseOwner('j9')).toBe('r1');
    await db.query(`UPDATE job_leases SET expires_at = now() - interval '1 second' WHERE job_id = 'j9'`);
    expect(await relay.leaseOwner('j9')).toBeUndefined();
  });
});

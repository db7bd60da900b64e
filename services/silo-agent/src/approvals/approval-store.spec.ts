import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JobSpec } from '@cohort/protocol';
import { ApprovalStore } from './approval-store.js';

const id = (n: number): string => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

describe('ApprovalStore', () => {
  let dir: string;
  let store: ApprovalStore;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cohort-approvals-'));
    store = new ApprovalStore(dir);
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('names only the jobs a person has decided on, until the agent takes each decision', async () => {
    expect(await store.decidedJobIds()).toEqual([]);
    for (let n = 1; n <= 50; n++) {
      await store.addPending({
        jobId: id(n),
        submittedBy: 'ada',
        spec: {} as JobSpec,
        checks: 'ok',
        receivedAtUnixMs: n,
      });
    }
    for (const n of [7, 42]) {
      await store.decide({
        jobId: id(n),
        accept: n === 7,
        reason: '',
        decidedBy: 'admin',
        decidedAtUnixMs: 0,
      });
    }
    // A stray file in the folder is not a decision.
    await writeFile(join(dir, 'approvals', 'decided', 'notes.txt'), 'x');
    expect((await store.decidedJobIds()).sort()).toEqual([id(7), id(42)]);
    expect(await store.takeDecision(id(7))).toMatchObject({ jobId: id(7), accept: true });
    expect(await store.decidedJobIds()).toEqual([id(42)]);
    expect((await store.listPending()).map((p) => p.jobId)).not.toContain(id(7));
  });
});

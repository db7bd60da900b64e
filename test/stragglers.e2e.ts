// Stragglers (issue 8): a round closes once a quorum is in and the grace period is over, not at the deadline;
// an update that comes after that is refused as UPDATE_LATE, counted with its round and audited; the slow silo
// takes part again in the next round.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TaskKind, unpackFloat32, type Task } from '@cohort/protocol';
import {
  EXAMPLES_DIR,
  http,
  startFederation,
  waitFor,
  waitForConnected,
  type Federation,
} from './support/federation.js';
import { HandSilo } from './support/hand-silo.js';

const HOSPITALS = ['cleveland', 'hungarian', 'switzerland'];
const GRACE_MS = 1500;

describe('stragglers and late updates', () => {
  let f: Federation;
  let slow: HandSilo;
  let stop = false;
  const outcomes: { round: number; ok: boolean; code?: string }[] = [];

  beforeAll(async () => {
    f = await startFederation();
    await Promise.all(HOSPITALS.map(async (h) => f.startSilo(h, await f.hospitalConfig(h))));
    slow = await HandSilo.enrol(f, 'slowpoke');
    await slow.connect();
    await waitForConnected(f, HOSPITALS.length + 1);
    // Round 1: sends a small honest-looking update well after the others (after quorum + grace). Later rounds:
    // on time.
    void (async () => {
      const answered = new Set<number>();
      while (!stop) {
        const task: Task | undefined = await slow
          .nextTask((t) => t.kind === TaskKind.TASK_KIND_TRAIN && !answered.has(t.round), 2_000)
          .catch(() => undefined);
        if (!task) continue;
        answered.add(task.round);
        if (task.round === 1) await new Promise((r) => setTimeout(r, GRACE_MS + 1_500));
        const zeros = new Float32Array(unpackFloat32(task.modelWeights).length);
        const { header, sealed } = await slow.buildUpdate(task, { plaintext: zeros, exampleCount: 100 });
        const result = await slow.upload(header, sealed);
        outcomes.push({ round: task.round, ok: result.ok, code: result.ok ? undefined : result.errorCode });
      }
    })();
  }, 240_000);

  afterAll(async () => {
    stop = true;
    slow?.close();
    await f?.stop();
  }, 60_000);

  it('closes round 1 at quorum + grace, refuses and counts the late update, and takes the silo back later', async () => {
    const spec = JSON.parse(await readFile(join(EXAMPLES_DIR, 'job.json'), 'utf8'));
    const submitted = await http('POST', `${f.gatewayUrl}/v1/jobs`, {
      ...spec,
      rounds: 4,
      minSilos: 3,
      roundTimeoutMs: 60_000,
      gracePeriodMs: GRACE_MS,
    });
    expect(submitted.status).toBe(201);
    // Followed as the dashboard and `cohort job watch` do: the event stream, until the job ends.
    const stream = await fetch(`${f.gatewayUrl}/v1/jobs/${submitted.body.jobId}/events`, {
      headers: { authorization: `Bearer ${f.adminToken}` },
    });
    const events = (await stream.text())
      .split('\n\n')
      .map((block) => /^data: (.*)$/m.exec(block)?.[1])
      .filter((data): data is string => data !== undefined)
      .map((data) => JSON.parse(data));
    const job = events.filter((e) => e.job).at(-1).job;
    expect(job.status).toBe('completed');
    // Each accepted update is an event of its own, with its silo and round.
    const accepted = events.filter((e) => e.type === 'update_accepted');
    expect(
      accepted
        .filter((e) => e.round === 1)
        .map((e) => e.siloId)
        .sort(),
    ).toEqual(HOSPITALS);
    expect(accepted.some((e) => e.siloId === 'slowpoke')).toBe(true);
    // The late upload may land after the job ended; the count is read once it has.
    await waitFor('the late upload', () => Promise.resolve(outcomes.find((o) => o.round === 1)));
    expect(outcomes.find((o) => o.round === 1)).toEqual({ round: 1, ok: false, code: 'UPDATE_LATE' });
    const final = (await http('GET', `${f.gatewayUrl}/v1/jobs/${job.jobId}`)).body;
    const first = final.rounds[0];
    // Far under the 60 s deadline: the round waited for the straggler only as long as the grace period.
    expect(first.durationMs).toBeLessThan(GRACE_MS + 2_500);
    const slowFirst = first.silos.find((s: any) => s.siloId === 'slowpoke');
    expect(slowFirst.updateStatus).toBe('rejected');
    expect(slowFirst.reason).toMatch(/^UPDATE_LATE: round 1 of job .* closed at/);
    expect(first.lateUpdates).toBe(1);
    // Later the same silo is a participant again and its updates count (it may miss the round it slept through).
    const last = final.rounds[final.rounds.length - 1];
    expect(last.silos.find((s: any) => s.siloId === 'slowpoke')).toMatchObject({ updateStatus: 'accepted' });
    expect(final.rounds.slice(1).reduce((n: number, r: any) => n + r.lateUpdates, 0)).toBe(0);

    const audit = await http('GET', `${f.gatewayUrl}/v1/audit?jobId=${job.jobId}&action=update.rejected`);
    expect(audit.body.entries).toEqual([
      expect.objectContaining({
        actor: 'silo:slowpoke',
        details: expect.objectContaining({ code: 'UPDATE_LATE', round: 1, siloId: 'slowpoke' }),
      }),
    ]);
  }, 180_000);
});

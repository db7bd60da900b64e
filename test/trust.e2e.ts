// Bad input against the trust model (issue 3): every refusal has its code, its audit line, leaves the job and
// round state as it was (the round completes on the honest silos, nothing of the bad message is counted), and
// leaves the offending silo's other traffic alone where that applies.
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { status } from '@grpc/grpc-js';
import { InsecureDevAuthority, ed25519Jwk } from '@cohort/attestation';
import { from } from 'rxjs';
import { identityFromPrivateKey, signUpdate } from '@cohort/identity';
import {
  MAX_CHUNK_BYTES,
  TaskKind,
  WeightsEncoding,
  chunkBytes,
  packFloat32,
  sha256,
  unpackFloat32,
  type Task,
  type UpdateChunk,
} from '@cohort/protocol';
import { SEALING_SCHEME, seal, updateAad } from '@cohort/sealing';
import { EnclaveCore } from '../services/aggregator/src/enclave/enclave-core.js';
import type { SealedUpdate } from '../services/aggregator/src/enclave/enclave-protocol.js';
import { FederationService } from '../services/aggregator/src/federation/federation.service.js';
import { ActiveRound } from '../services/aggregator/src/rounds/active-round.js';
import { ActiveRounds } from '../services/aggregator/src/rounds/active-rounds.service.js';
import { COHORT_BIN } from '../services/cli/src/demo/processes.js';
import { measureEnclave } from '../services/aggregator/src/enclave/bundle.js';
import { craftToken } from './support/attestation-tokens.js';
import { REPO_ROOT, changeOneByte, copyBuiltCheckout } from './support/checkout-copy.js';
import { EXAMPLES_DIR, http, startFederation, waitFor, type Federation } from './support/federation.js';
import { HAND_METRICS, HandSilo } from './support/hand-silo.js';
import { auditLines, expectAudit, logLines } from './support/logs.js';

const run = promisify(execFile);
const HONEST = ['cleveland', 'hungarian'];

async function jobSpec(overrides: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  const spec = JSON.parse(await readFile(join(EXAMPLES_DIR, 'job.json'), 'utf8')) as Record<string, unknown>;
  return { ...spec, rounds: 1, minSilos: HONEST.length, roundTimeoutMs: 30_000, ...overrides };
}

async function submit(f: Federation, overrides: Record<string, unknown> = {}): Promise<string> {
  const r = await http('POST', `${f.gatewayUrl}/v1/jobs`, await jobSpec(overrides));
  if (r.status !== 201) throw new Error(`the job was refused: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.jobId as string;
}

async function getJob(f: Federation, jobId: string): Promise<any> {
  const r = await http('GET', `${f.gatewayUrl}/v1/jobs/${jobId}`);
  expect(r.status).toBe(200);
  return r.body;
}

function jobEnd(f: Federation, jobId: string): Promise<any> {
  return waitFor(
    `job ${jobId} to end`,
    async () => {
      const job = await getJob(f, jobId);
      return ['completed', 'failed', 'cancelled'].includes(job.status) ? job : undefined;
    },
    90_000,
  );
}

function siloRow(job: any, round: number, siloId: string): any {
  return job.rounds.find((r: any) => r.round === round)?.silos.find((s: any) => s.siloId === siloId);
}

function acceptedIn(job: any, round: number): string[] {
  const r = job.rounds.find((x: any) => x.round === round);
  return r.silos
    .filter((s: any) => s.updateStatus === 'accepted')
    .map((s: any) => s.siloId)
    .sort();
}

/** The job completed, and each round folded in the updates of exactly these silos. */
function expectCompleted(job: any, perRound: string[][]): void {
  expect({ status: job.status, failureReason: job.failureReason }).toEqual({
    status: 'completed',
    failureReason: '',
  });
  expect(job.rounds).toHaveLength(perRound.length);
  perRound.forEach((silos, i) => {
    expect(job.rounds[i].status).toBe('completed');
    expect(acceptedIn(job, i + 1)).toEqual([...silos].sort());
  });
}

/** Waits until the round is recorded with this silo pending: a refusal checked after it must leave it so. */
async function roundOpen(f: Federation, jobId: string, round: number, siloId: string): Promise<void> {
  await waitFor(`round ${round} of ${jobId} to be recorded`, async () =>
    siloRow(await getJob(f, jobId), round, siloId)?.updateStatus === 'pending' ? true : undefined,
  );
}

async function connected(f: Federation, ...siloIds: string[]): Promise<void> {
  await waitFor(`${siloIds.join(', ')} connected`, async () => {
    const r = await http('GET', `${f.gatewayUrl}/v1/silos`);
    const up = r.body.silos.filter((s: any) => s.connected).map((s: any) => s.siloId);
    return siloIds.every((id) => up.includes(id)) ? true : undefined;
  });
}

const isTrain =
  (jobId: string, round: number) =>
  (t: Task): boolean =>
    t.kind === TaskKind.TASK_KIND_TRAIN && t.jobId === jobId && t.round === round;

/** A hand silo's genuine update for the job's round, accepted. */
async function answer(hand: HandSilo, jobId: string, round: number): Promise<void> {
  const u = await hand.buildUpdate(await hand.nextTask(isTrain(jobId, round)));
  expect(await hand.upload(u.header, u.sealed)).toMatchObject({ ok: true });
}

/** One base64url character of the JWS signature changed: a well-formed token whose signature is wrong. */
function flipSignature(jws: string): string {
  const [h, p, s] = jws.split('.');
  const i = 20;
  return `${h}.${p}.${s.slice(0, i)}${s[i] === 'A' ? 'B' : 'A'}${s.slice(i + 1)}`;
}

describe('bad input from silos, at enrolment and at connection: two hospitals and hand-driven silos', () => {
  let f: Federation;
  let aggregatorLog: string;
  /** Sends what the test tells it to. */
  let mallory: HandSilo;
  /** A second enrolled silo: its key signs mallory's forgery; it is revoked in its own test. */
  let trent: HandSilo;

  beforeAll(async () => {
    f = await startFederation();
    aggregatorLog = join(f.home, 'aggregator.log');
    await Promise.all(HONEST.map(async (h) => f.startSilo(h, await f.hospitalConfig(h))));
    [mallory, trent] = await Promise.all([HandSilo.enrol(f, 'mallory'), HandSilo.enrol(f, 'trent')]);
    for (const hand of [mallory, trent]) {
      hand.offers = 'decline';
      await hand.connect();
    }
    await connected(f, ...HONEST, 'mallory', 'trent');
  }, 240_000);

  afterEach(() => {
    // Between tests the hand silos decline every offer, so no job waits for them.
    for (const hand of [mallory, trent]) {
      hand.offers = 'decline';
      hand.evaluates = true;
    }
  });

  afterAll(async () => {
    mallory?.close();
    trent?.close();
    await f?.stop();
  }, 60_000);

  it('refuses an update with a forged signature (UPDATE_SIGNATURE_INVALID), then takes the genuine one', async () => {
    mallory.offers = 'accept';
    const jobId = await submit(f, { minSilos: 3 });
    const task = await mallory.nextTask(isTrain(jobId, 1));
    await roundOpen(f, jobId, 1, 'mallory');
    const { header, sealed } = await mallory.buildUpdate(task);

    const forged = await mallory.upload(
      { ...header, signatureJws: flipSignature(header.signatureJws) },
      sealed,
    );
    expect(forged).toMatchObject({
      ok: false,
      code: status.UNAUTHENTICATED,
      errorCode: 'UPDATE_SIGNATURE_INVALID',
    });
    expect(forged.message).toMatch(/does not verify under silo mallory's enrolled key/);
    await expectAudit(aggregatorLog, { siloId: 'mallory', jobId, code: 'UPDATE_SIGNATURE_INVALID' });
    // Forged and oversized too: refused as forged, so it cannot make mallory's own update count as rejected.
    const forgedLong = await mallory.upload(
      { ...header, signatureJws: flipSignature(header.signatureJws) },
      sealed,
      [{ data: Buffer.alloc(8) }],
    );
    expect(forgedLong).toMatchObject({ ok: false, errorCode: 'UPDATE_SIGNATURE_INVALID' });
    expect(siloRow(await getJob(f, jobId), 1, 'mallory').updateStatus).toBe('pending');

    // Nothing of mallory's was spent by the forgery: its own signed update is accepted afterwards.
    const genuine = await mallory.upload(header, sealed);
    expect(genuine.ok).toBe(true);
    const job = await jobEnd(f, jobId);
    expectCompleted(job, [[...HONEST, 'mallory']]);
    expect(siloRow(job, 1, 'mallory')).toMatchObject({ updateStatus: 'accepted', exampleCount: 50 });
  }, 60_000);

  it("refuses an update signed with another enrolled silo's key (UPDATE_SIGNATURE_INVALID)", async () => {
    mallory.offers = 'accept';
    const jobId = await submit(f, { minSilos: 3 });
    const task = await mallory.nextTask(isTrain(jobId, 1));
    await roundOpen(f, jobId, 1, 'mallory');
    const { header, sealed } = await mallory.buildUpdate(task);

    const signedByTrent = await mallory.sign(header, trent.identity);
    expect(signedByTrent.signatureJws).not.toBe(header.signatureJws);
    const r = await mallory.upload(signedByTrent, sealed);
    expect(r).toMatchObject({
      ok: false,
      code: status.UNAUTHENTICATED,
      errorCode: 'UPDATE_SIGNATURE_INVALID',
    });
    expect(r.message).toContain(trent.identity.fingerprint);
    await expectAudit(aggregatorLog, { siloId: 'mallory', jobId, code: 'UPDATE_SIGNATURE_INVALID' });
    expect(siloRow(await getJob(f, jobId), 1, 'mallory').updateStatus).toBe('pending');
    // trent is no participant; its signature does not make the update its own either.
    expect(siloRow(await getJob(f, jobId), 1, 'trent')).toBeUndefined();

    expect((await mallory.upload(header, sealed)).ok).toBe(true);
    expectCompleted(await jobEnd(f, jobId), [[...HONEST, 'mallory']]);
  }, 60_000);

  it('refuses a replayed update (UPDATE_DUPLICATE), and its replay into the next round (WRONG_ROUND, BAD_NONCE)', async () => {
    // trent takes part too, and holds round 1 open (training) until the replay has been refused.
    mallory.offers = 'accept';
    trent.offers = 'accept';
    const jobId = await submit(f, { rounds: 2, minSilos: 4 });
    const task1 = await mallory.nextTask(isTrain(jobId, 1));
    const first = await mallory.buildUpdate(task1);
    expect((await mallory.upload(first.header, first.sealed)).ok).toBe(true);

    const replay = await mallory.upload(first.header, first.sealed);
    expect(replay).toMatchObject({ ok: false, code: status.ALREADY_EXISTS, errorCode: 'UPDATE_DUPLICATE' });
    await expectAudit(aggregatorLog, { siloId: 'mallory', jobId, round: 1, code: 'UPDATE_DUPLICATE' });
    expect(siloRow(await getJob(f, jobId), 1, 'trent').updateStatus).toBe('pending');
    await answer(trent, jobId, 1);

    const task2 = await mallory.nextTask(isTrain(jobId, 2));
    // The round-1 upload as it was: round 1 is closed.
    const stale = await mallory.upload(first.header, first.sealed);
    expect(stale).toMatchObject({ ok: false, errorCode: 'UPDATE_DUPLICATE' });
    expect(stale.message).toMatch(/already delivered its update for round 1/);
    // Relabelled for round 2 (and re-signed): it still answers round 1's nonce.
    const relabelled = await mallory.sign({ ...first.header, round: 2 });
    const r = await mallory.upload(relabelled, first.sealed);
    expect(r).toMatchObject({ ok: false, code: status.PERMISSION_DENIED, errorCode: 'UPDATE_BAD_NONCE' });
    await expectAudit(aggregatorLog, { siloId: 'mallory', jobId, round: 2, code: 'UPDATE_BAD_NONCE' });
    expect(siloRow(await getJob(f, jobId), 2, 'mallory').updateStatus).toBe('pending');

    const second = await mallory.buildUpdate(task2);
    expect((await mallory.upload(second.header, second.sealed)).ok).toBe(true);
    await answer(trent, jobId, 2);
    const job = await jobEnd(f, jobId);
    expectCompleted(job, [
      [...HONEST, 'mallory', 'trent'],
      [...HONEST, 'mallory', 'trent'],
    ]);
    // Counted once per round: one accepted row, with the example count of the one update.
    for (const round of [1, 2]) expect(siloRow(job, round, 'mallory').exampleCount).toBe(50);
  }, 90_000);

  it('refuses an update for another job (BAD_NONCE while it runs, JOB_NOT_RUNNING otherwise) or round (WRONG_ROUND), and a non-participant (NOT_PARTICIPANT)', async () => {
    mallory.offers = 'accept';
    const [jobA, jobB] = [await submit(f, { minSilos: 3 }), await submit(f, { minSilos: 3 })];
    const taskA = await mallory.nextTask(isTrain(jobA, 1));
    const taskB = await mallory.nextTask(isTrain(jobB, 1));
    await roundOpen(f, jobB, 1, 'mallory');
    const a = await mallory.buildUpdate(taskA);

    // A's update, signed for job B (still running, mallory takes part): B issued mallory another nonce.
    const forB = await mallory.upload(await mallory.sign({ ...a.header, jobId: jobB }), a.sealed);
    expect(forB).toMatchObject({ ok: false, errorCode: 'UPDATE_BAD_NONCE' });
    await expectAudit(aggregatorLog, { siloId: 'mallory', jobId: jobB, code: 'UPDATE_BAD_NONCE' });
    // For a job that is not running.
    const ghost = randomUUID();
    const forGhost = await mallory.upload(await mallory.sign({ ...a.header, jobId: ghost }), a.sealed);
    expect(forGhost).toMatchObject({
      ok: false,
      code: status.FAILED_PRECONDITION,
      errorCode: 'JOB_NOT_RUNNING',
    });
    await expectAudit(aggregatorLog, { siloId: 'mallory', jobId: ghost, code: 'JOB_NOT_RUNNING' });
    // For a round that is not open.
    const forRound3 = await mallory.upload(await mallory.sign({ ...a.header, round: 3 }), a.sealed);
    expect(forRound3).toMatchObject({
      ok: false,
      code: status.FAILED_PRECONDITION,
      errorCode: 'UPDATE_WRONG_ROUND',
    });
    await expectAudit(aggregatorLog, {
      siloId: 'mallory',
      jobId: jobA,
      round: 3,
      code: 'UPDATE_WRONG_ROUND',
    });
    // trent declined job A: an update from it, correctly signed with its own key, is not wanted.
    const fromTrent = await trent.upload(
      await trent.sign({ ...a.header, siloId: 'trent', nonce: randomBytes(16) }),
      a.sealed,
    );
    expect(fromTrent).toMatchObject({
      ok: false,
      code: status.PERMISSION_DENIED,
      errorCode: 'UPDATE_NOT_PARTICIPANT',
    });
    await expectAudit(aggregatorLog, { siloId: 'trent', jobId: jobA, code: 'UPDATE_NOT_PARTICIPANT' });
    for (const jobId of [jobA, jobB])
      expect(siloRow(await getJob(f, jobId), 1, 'mallory').updateStatus).toBe('pending');

    const b = await mallory.buildUpdate(taskB);
    expect((await mallory.upload(a.header, a.sealed)).ok).toBe(true);
    expect((await mallory.upload(b.header, b.sealed)).ok).toBe(true);
    for (const jobId of [jobA, jobB]) expectCompleted(await jobEnd(f, jobId), [[...HONEST, 'mallory']]);
  }, 90_000);

  it('refuses tampered ciphertext that is validly signed (UPDATE_OPEN_FAILED in the enclave); the next round takes its update', async () => {
    mallory.offers = 'accept';
    const jobId = await submit(f, { rounds: 2, minSilos: 2 });
    const task1 = await mallory.nextTask(isTrain(jobId, 1));
    await roundOpen(f, jobId, 1, 'mallory');
    const { header, sealed } = await mallory.buildUpdate(task1, { fill: 1000 });
    const tampered = Buffer.from(sealed);
    tampered[tampered.byteLength - 20] ^= 0x01;
    const resigned = await mallory.sign({ ...header, payloadSha256: sha256(tampered) });
    const r = await mallory.upload(resigned, tampered);
    expect(r).toMatchObject({ ok: false, code: status.INVALID_ARGUMENT, errorCode: 'UPDATE_OPEN_FAILED' });
    expect(r.message).toMatch(/cannot be opened/);
    await expectAudit(aggregatorLog, { siloId: 'mallory', jobId, round: 1, code: 'UPDATE_OPEN_FAILED' });

    const task2 = await mallory.nextTask(isTrain(jobId, 2));
    const second = await mallory.buildUpdate(task2);
    expect((await mallory.upload(second.header, second.sealed)).ok).toBe(true);
    const job = await jobEnd(f, jobId);
    expectCompleted(job, [HONEST, [...HONEST, 'mallory']]);
    expect(siloRow(job, 1, 'mallory')).toMatchObject({ updateStatus: 'rejected' });
    expect(siloRow(job, 1, 'mallory').reason).toMatch(/^UPDATE_OPEN_FAILED/);
  }, 90_000);

  it('refuses a payload larger than the model, more bytes than declared (UPDATE_SIZE_MISMATCH) and an oversized chunk (UPDATE_TOO_LARGE)', async () => {
    mallory.offers = 'accept';
    const jobId = await submit(f, { rounds: 3, minSilos: 2 });
    const refusals: { round: number; code: string; message: RegExp; send: (t: Task) => Promise<any> }[] = [
      {
        round: 1,
        code: 'UPDATE_SIZE_MISMATCH',
        message: /a model of 11 parameters in float32 seals to 92 bytes/,
        send: async (t) => {
          const big = await mallory.buildUpdate(t, { values: 11 + 5 });
          return mallory.upload(big.header, big.sealed);
        },
      },
      {
        round: 2,
        code: 'UPDATE_SIZE_MISMATCH',
        message: /longer than the \d+ bytes its header declared/,
        send: async (t) => {
          const u = await mallory.buildUpdate(t);
          return mallory.upload(u.header, u.sealed, [{ data: Buffer.alloc(8) }]);
        },
      },
      {
        round: 3,
        code: 'UPDATE_TOO_LARGE',
        message: /exceeds the \d+-byte limit/,
        send: async (t) => {
          const u = await mallory.buildUpdate(t);
          return mallory.upload(u.header, Buffer.alloc(0), [{ data: Buffer.alloc(MAX_CHUNK_BYTES + 1) }]);
        },
      },
    ];
    for (const { round, code, message, send } of refusals) {
      // Sent the moment the task arrives, while the aggregator may still be recording the round.
      const r = await send(await mallory.nextTask(isTrain(jobId, round)));
      expect(r).toMatchObject({ ok: false, errorCode: code });
      expect(r.message).toMatch(message);
      await expectAudit(aggregatorLog, { siloId: 'mallory', jobId, round, code });
    }
    const job = await jobEnd(f, jobId);
    expectCompleted(job, [HONEST, HONEST, HONEST]);
    refusals.forEach(({ round, code }) => {
      expect(siloRow(job, round, 'mallory').updateStatus).toBe('rejected');
      expect(siloRow(job, round, 'mallory').reason).toMatch(new RegExp(`^${code}`));
    });
  }, 90_000);

  it('refuses malformed uploads (UPDATE_MALFORMED) and non-protobuf bytes, and keeps serving', async () => {
    mallory.offers = 'accept';
    const jobId = await submit(f, { rounds: 2, minSilos: 2 });
    const task1 = await mallory.nextTask(isTrain(jobId, 1));
    await roundOpen(f, jobId, 1, 'mallory');
    const { header, sealed } = await mallory.buildUpdate(task1);

    const dataOnly = await mallory.upload(undefined, sealed);
    expect(dataOnly).toMatchObject({
      ok: false,
      code: status.INVALID_ARGUMENT,
      errorCode: 'UPDATE_MALFORMED',
    });
    expect(dataOnly.message).toMatch(/first chunk of an upload must carry the header/);
    const empty = await mallory.upload(undefined, Buffer.alloc(0));
    expect(empty).toMatchObject({ ok: false, errorCode: 'UPDATE_MALFORMED' });
    expect(empty.message).toMatch(/ended before its header arrived/);
    await expectAudit(aggregatorLog, { peer: 'mallory', code: 'UPDATE_MALFORMED' });

    // Bytes no protobuf encoder writes (wire type 7): grpc-js cannot decode the message and ends the call itself,
    // before the service sees anything (so no audit line is promised for it).
    const garbage = await mallory.rawUpload([Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]), randomBytes(64)]);
    expect(garbage).toMatchObject({
      ok: false,
      code: status.INTERNAL,
      message: 'Error deserializing request',
    });
    expect(siloRow(await getJob(f, jobId), 1, 'mallory').updateStatus).toBe('pending');

    // The aggregator still serves, mallory included: its genuine update is accepted.
    expect((await mallory.upload(header, sealed)).ok).toBe(true);

    // Round 2: two headers in one upload.
    const task2 = await mallory.nextTask(isTrain(jobId, 2));
    await roundOpen(f, jobId, 2, 'mallory');
    const u2 = await mallory.buildUpdate(task2);
    const twice = await mallory.upload(u2.header, u2.sealed, [{ header: u2.header }]);
    expect(twice).toMatchObject({ ok: false, errorCode: 'UPDATE_MALFORMED' });
    expect(twice.message).toMatch(/exactly one header/);
    await expectAudit(aggregatorLog, { siloId: 'mallory', jobId, round: 2, code: 'UPDATE_MALFORMED' });
    const job = await jobEnd(f, jobId);
    expectCompleted(job, [[...HONEST, 'mallory'], HONEST]);
    expect(siloRow(job, 2, 'mallory').reason).toMatch(/^UPDATE_MALFORMED/);
  }, 90_000);

  it("refuses held-out metrics of another shape (METRICS_INVALID) without failing the round's evaluation", async () => {
    mallory.offers = 'accept';
    mallory.evaluates = false;
    const jobId = await submit(f, { minSilos: 3 });
    const task = await mallory.nextTask(isTrain(jobId, 1));
    const u = await mallory.buildUpdate(task);
    expect((await mallory.upload(u.header, u.sealed)).ok).toBe(true);
    await mallory.nextTask((t) => t.kind === TaskKind.TASK_KIND_EVALUATE && t.jobId === jobId);
    const unbinned = await mallory.reportMetrics(jobId, 1, {
      ...HAND_METRICS,
      positiveHistogram: [],
      negativeHistogram: [],
    });
    expect(unbinned).toMatchObject({
      ok: false,
      code: status.INVALID_ARGUMENT,
      errorCode: 'METRICS_INVALID',
    });
    expect(unbinned.message).toMatch(/100 bins/);
    expect((await mallory.reportMetrics(jobId, 1)).ok).toBe(true);
    const job = await jobEnd(f, jobId);
    expectCompleted(job, [[...HONEST, 'mallory']]);
    expect(job.rounds[0].metrics.auc).toBeGreaterThan(0.5);
  }, 60_000);

  describe('agent attestation at Connect and Enroll (ATTESTATION_REFUSED naming the code)', () => {
    const otherKey = ed25519Jwk(randomBytes(32));
    const cases: {
      code: string;
      token: (hand: { publicKeyRaw: Uint8Array }) => Promise<string>;
    }[] = [
      {
        code: 'ATTESTATION_EXPIRED',
        token: async (id) => {
          const now = Math.floor(Date.now() / 1000);
          return craftToken(f.files.authorityDir, {
            measurement: f.files.agentMeasurement,
            component: 'cohort-silo-agent',
            boundKey: ed25519Jwk(id.publicKeyRaw),
            iat: now - 7200,
            exp: now - 3600,
          });
        },
      },
      {
        code: 'ATTESTATION_ISSUER',
        token: async (id) =>
          (await InsecureDevAuthority.ephemeral('someone-elses-authority')).issue(
            {
              measurement: f.files.agentMeasurement,
              component: 'cohort-silo-agent',
              nonce: randomBytes(16),
              boundKey: ed25519Jwk(id.publicKeyRaw),
            },
            'cohort-federation',
          ),
      },
      {
        code: 'ATTESTATION_MEASUREMENT',
        token: async (id) =>
          craftToken(f.files.authorityDir, {
            measurement: 'ab'.repeat(32),
            component: 'cohort-silo-agent',
            boundKey: ed25519Jwk(id.publicKeyRaw),
          }),
      },
      {
        code: 'ATTESTATION_KEY_BINDING',
        token: async () =>
          craftToken(f.files.authorityDir, {
            measurement: f.files.agentMeasurement,
            component: 'cohort-silo-agent',
            boundKey: otherKey,
          }),
      },
    ];

    it.each(cases.map((c) => [c.code, c] as const))(
      'refuses Connect with an agent token %s; the silo keeps its session',
      async (code, c) => {
        const r = await mallory.tryConnect(await c.token(mallory.identity));
        expect(r).toMatchObject({
          ok: false,
          code: status.PERMISSION_DENIED,
          errorCode: 'ATTESTATION_REFUSED',
        });
        expect(r.message).toContain(`(${code})`);
        await expectAudit(aggregatorLog, { siloId: 'mallory', code, msg: 'silo agent attestation refused' });
        // The refused connection replaced nothing: mallory's session is up and answers.
        const silos = await http('GET', `${f.gatewayUrl}/v1/silos`);
        expect(silos.body.silos.find((s: any) => s.siloId === 'mallory').connected).toBe(true);
        expect((await mallory.attestation(randomUUID(), 1)).ok).toBe(true);
      },
    );

    it('accepts Connect with a genuine token (the refusals above are about the token alone)', async () => {
      expect(await mallory.tryConnect(await mallory.agentToken(), 1_500)).toEqual({ ok: true });
      // That connection replaced mallory's session, and ended with it: mallory reconnects.
      await mallory.connect();
      await connected(f, 'mallory');
    });

    it('refuses Enroll with each bad token without spending the join token, then enrols with a good one', async () => {
      const joinToken = await f.invite('eve');
      let identity: any;
      for (const c of cases) {
        const refused = await HandSilo.enrol(f, 'eve', {
          joinToken,
          agentToken: async (id) => {
            identity = id;
            return c.token(id);
          },
        }).catch((e: unknown) => e as any);
        expect(refused).toMatchObject({ errorCode: 'ATTESTATION_REFUSED', code: status.PERMISSION_DENIED });
        expect(refused.message).toContain(`(${c.code})`);
        await expectAudit(aggregatorLog, {
          siloName: 'eve',
          code: 'ATTESTATION_REFUSED',
          reason: new RegExp(c.code),
        });
      }
      const list = await http('GET', `${f.gatewayUrl}/v1/silos`);
      expect(list.body.silos.find((s: any) => s.siloId === 'eve').status).toBe('invited');
      const eve = await HandSilo.enrol(f, 'eve', { joinToken, identity });
      eve.close();
    });
  });

  describe('join tokens', () => {
    it('refuses a reused join token (JOIN_TOKEN_USED) and one issued for another silo (JOIN_TOKEN_WRONG_SILO)', async () => {
      const joinToken = await f.invite('oscar');
      const oscar = await HandSilo.enrol(f, 'oscar', { joinToken });
      const fingerprintBefore = (await http('GET', `${f.gatewayUrl}/v1/silos`)).body.silos.find(
        (s: any) => s.siloId === 'oscar',
      ).keyFingerprint;
      const reused = await HandSilo.enrol(f, 'oscar', { joinToken }).catch((e: unknown) => e as any);
      expect(reused).toMatchObject({ errorCode: 'JOIN_TOKEN_USED', code: status.UNAUTHENTICATED });
      await expectAudit(aggregatorLog, { siloName: 'oscar', code: 'JOIN_TOKEN_USED' });
      // The enrolled key is still oscar's own, and oscar still speaks.
      const after = (await http('GET', `${f.gatewayUrl}/v1/silos`)).body.silos.find(
        (s: any) => s.siloId === 'oscar',
      );
      expect(after).toMatchObject({ status: 'enrolled', keyFingerprint: fingerprintBefore });
      expect(after.keyFingerprint).toBe(oscar.identity.fingerprint);
      expect((await oscar.attestation(randomUUID(), 1)).ok).toBe(true);
      oscar.close();

      const forPeggy = await f.invite('peggy');
      const wrong = await HandSilo.enrol(f, 'victor', { joinToken: forPeggy }).catch(
        (e: unknown) => e as any,
      );
      expect(wrong).toMatchObject({ errorCode: 'JOIN_TOKEN_WRONG_SILO', code: status.UNAUTHENTICATED });
      await expectAudit(aggregatorLog, { siloName: 'victor', code: 'JOIN_TOKEN_WRONG_SILO' });
      // peggy's token was not spent by the attempt.
      (await HandSilo.enrol(f, 'peggy', { joinToken: forPeggy })).close();
    });
  });

  it('shows that the host never holds a plaintext update: what it receives is sealed, the enclave opens it', async () => {
    mallory.offers = 'accept';
    const jobId = await submit(f, { minSilos: 3 });
    const task = await mallory.nextTask(isTrain(jobId, 1));
    // A distinctive update: 11 copies of one unusual float.
    const plaintext = new Float32Array(task.globalModel!.parameterCount).fill(-1234.5677);
    const pattern = Buffer.from(plaintext.buffer, 0, 8);
    const { header, sealed } = await mallory.buildUpdate(task, { plaintext });
    // Every byte the host receives for this upload: the header and the chunks as protobuf messages.
    const wire = mallory.encodeUpload(header, sealed);
    expect(wire.includes(Buffer.from(plaintext.buffer))).toBe(false);
    expect(wire.includes(pattern)).toBe(false);
    const receipt = await mallory.upload(header, sealed);
    expect(receipt.ok).toBe(true);
    const job = await jobEnd(f, jobId);
    expectCompleted(job, [[...HONEST, 'mallory']]);
  }, 60_000);

  it('revokes a silo mid-round: its next message is refused (SILO_REVOKED), its session ends, the others go on', async () => {
    trent.offers = 'accept';
    const jobId = await submit(f, { minSilos: 2 });
    const task = await trent.nextTask(isTrain(jobId, 1));
    await roundOpen(f, jobId, 1, 'trent');
    const { header, sealed } = await trent.buildUpdate(task);

    const revoked = await http('POST', `${f.gatewayUrl}/v1/silos/trent/revoke`, { reason: 'key lost' });
    expect(revoked.status).toBe(200);
    expect(revoked.body.status).toBe('revoked');
    await expectAudit(aggregatorLog, { siloName: 'trent', msg: 'silo revoked' });
    // The aggregator ended trent's task stream.
    await trent.ended;
    const r = await trent.upload(header, sealed);
    expect(r).toMatchObject({ ok: false, code: status.PERMISSION_DENIED, errorCode: 'SILO_REVOKED' });
    await expectAudit(aggregatorLog, { siloId: 'trent', code: 'SILO_REVOKED', action: 'upload' });
    const reconnect = await trent.tryConnect(await trent.agentToken());
    expect(reconnect).toMatchObject({ ok: false, errorCode: 'SILO_REVOKED' });
    expect((await trent.attestation(jobId, 1)).errorCode).toBe('SILO_REVOKED');
    // It cannot come back under its name with a new invitation either.
    const reinvite = await http('POST', `${f.gatewayUrl}/v1/silos/invitations`, { name: 'trent' });
    expect(reinvite.status).not.toBe(201);

    const job = await jobEnd(f, jobId);
    expectCompleted(job, [HONEST]);
    expect(siloRow(job, 1, 'trent').updateStatus).not.toBe('accepted');
    // mallory (not revoked) is unaffected.
    expect((await mallory.attestation(jobId, 1)).ok).toBe(true);
  }, 60_000);

  describe('manual approval at the hospital', () => {
    let config: string;
    let siloLog: string;

    beforeAll(async () => {
      const c = JSON.parse(await readFile(await f.hospitalConfig('va'), 'utf8'));
      c.siloId = 'va-manual';
      c.stateDir = join(f.home, 'silos', 'va-manual');
      c.policy = { ...c.policy, approval: 'manual' };
      config = join(f.home, 'silos', 'va-manual.json');
      await writeFile(config, JSON.stringify(c, null, 2));
      siloLog = join(f.home, 'silo-va-manual.log');
      await f.startSilo('va-manual', config);
      await connected(f, 'va-manual');
    }, 60_000);

    async function cohort(...args: string[]): Promise<any> {
      const { stdout } = await run(process.execPath, [COHORT_BIN, ...args, '--config', config, '--json'], {
        timeout: 60_000,
      });
      return JSON.parse(stdout.trim().split('\n').pop() ?? '{}');
    }

    async function pending(jobId: string): Promise<void> {
      await waitFor(`job ${jobId} waiting at va-manual`, async () =>
        (await cohort('silo', 'jobs')).pending.some((p: any) => p.jobId === jobId) ? true : undefined,
      );
    }

    it('holds the offer until approved, then signs the decision and trains', async () => {
      const jobId = await submit(f, { rounds: 2, minSilos: 3 });
      await pending(jobId);
      const listed = (await cohort('silo', 'jobs')).pending.find((p: any) => p.jobId === jobId);
      expect(listed.spec.model.template).toBe('logreg');
      expect(listed.submittedBy).toBeTruthy();
      await expectAudit(siloLog, { jobId, msg: /waits for a site admin/ });
      // Still undecided on the aggregator's side.
      expect((await getJob(f, jobId)).decisions.find((d: any) => d.siloId === 'va-manual')).toBeUndefined();

      const approved = await cohort('silo', 'approve', jobId, '--reason', 'IRB 2026-17');
      expect(approved).toMatchObject({ jobId, accept: true });
      const job = await jobEnd(f, jobId);
      expectCompleted(job, [
        [...HONEST, 'va-manual'],
        [...HONEST, 'va-manual'],
      ]);
      const decision = job.decisions.find((d: any) => d.siloId === 'va-manual');
      expect(decision.accept).toBe(true);
      expect(decision.reason).toMatch(/^approved by .*: IRB 2026-17$/);
      await expectAudit(siloLog, { jobId, accept: true, msg: 'site admin decided on a job' });
      await expectAudit(siloLog, { jobId, accept: true, msg: 'decided on a job offer' });
      await expectAudit(aggregatorLog, {
        jobId,
        siloId: 'va-manual',
        accept: true,
        msg: 'silo decided on a job',
      });
      expect(await auditLines(siloLog, { jobId, msg: 'update sent' })).toHaveLength(2);
      expect((await cohort('silo', 'jobs')).pending).toEqual([]);
    }, 90_000);

    it('goes on without a silo whose admin rejects the job; no task of it reaches that silo', async () => {
      const jobId = await submit(f, { rounds: 2, minSilos: 2 });
      await pending(jobId);
      await cohort('silo', 'reject', jobId, '--reason', 'not our protocol');
      const job = await jobEnd(f, jobId);
      expectCompleted(job, [HONEST, HONEST]);
      const decision = job.decisions.find((d: any) => d.siloId === 'va-manual');
      expect(decision).toMatchObject({ accept: false });
      expect(decision.reason).toMatch(/^rejected by .*: not our protocol$/);
      for (const round of job.rounds) expect(siloRow(job, round.round, 'va-manual')).toBeUndefined();
      await expectAudit(siloLog, { jobId, accept: false, msg: 'site admin decided on a job' });
      // No train task of the job reached the silo: it would have logged it (trained, or refused to).
      const lines = (await logLines(siloLog)).filter((l) => l.jobId === jobId);
      expect(lines.map((l) => l.msg)).not.toContain('update sent');
      expect(lines.map((l) => l.msg)).not.toContain('train task for a job this silo has not accepted');
    }, 90_000);
  });
});

describe('one byte of enclave code changed: every silo refuses to send', () => {
  let f: Federation;
  let copy: string;

  beforeAll(async () => {
    copy = await copyBuiltCheckout();
    await changeOneByte(
      join(copy, 'dist/services/aggregator/src/enclave/enclave-core.js'),
      'Everything the enclave does',
      'e',
    );
    // The federation's files (trust.json allowing the audited build) come from this checkout's `cohort init`;
    // the aggregator runs from the copy.
    f = await startFederation({ aggregatorBin: join(copy, 'bin/cohort.js') });
    await Promise.all(HONEST.map(async (h) => f.startSilo(h, await f.hospitalConfig(h))));
  }, 240_000);

  afterAll(async () => {
    await f?.stop();
  }, 60_000);

  it('the silos decline round 1 with ATTESTATION_MEASUREMENT, send nothing, and the job fails its quorum', async () => {
    const trust = JSON.parse(await readFile(f.files.trustFile, 'utf8'));
    expect(trust.enclave.measurements).toEqual([f.files.enclaveMeasurement]);
    expect(await measureEnclave(REPO_ROOT, true)).toBe(f.files.enclaveMeasurement);
    const changed = String(f.aggregatorReady.enclaveMeasurement);
    expect(changed).toMatch(/^[0-9a-f]{64}$/);
    expect(changed).not.toBe(f.files.enclaveMeasurement);
    expect(await measureEnclave(copy, true)).toBe(changed);

    const jobId = await submit(f, { minSilos: 2 });
    const job = await jobEnd(f, jobId);
    expect(job.status).toBe('failed');
    expect(job.failureReason).toMatch(/round 1 closed with 0 accepted update\(s\); the quorum is 2/);
    expect(
      job.decisions
        .filter((d: any) => d.accept)
        .map((d: any) => d.siloId)
        .sort(),
    ).toEqual(HONEST);
    for (const silo of HONEST) {
      const row = siloRow(job, 1, silo);
      expect(row.updateStatus).toBe('rejected');
      expect(row.reason).toMatch(/declined by the silo: .*\(ATTESTATION_MEASUREMENT\)/);
      const log = join(f.home, `silo-${silo}.log`);
      await expectAudit(log, { jobId, code: 'ATTESTATION_MEASUREMENT', msg: 'enclave attestation refused' });
      await expectAudit(log, { jobId, round: 1, msg: 'declined the round: nothing was sent' });
      expect(await auditLines(log, { msg: 'update sent' })).toEqual([]);
      await expectAudit(join(f.home, 'aggregator.log'), {
        jobId,
        siloId: silo,
        msg: 'silo declined the round',
      });
    }
    // No upload reached the aggregator at all.
    const aggregator = await logLines(join(f.home, 'aggregator.log'));
    expect(aggregator.filter((l) => l.msg === 'update rejected' || l.code === 'UPDATE_OPEN_FAILED')).toEqual(
      [],
    );
  }, 120_000);
});

describe('the host never holds a plaintext update', () => {
  const AGGREGATOR_SRC = join(REPO_ROOT, 'services/aggregator/src');

  it("hands the enclave the sealed bytes exactly as received; only the enclave's open recovers the update", async () => {
    const core = await EnclaveCore.create('ab'.repeat(32), {
      name: 'test',
      insecureDev: true,
      issue: () => Promise.resolve(''),
    });
    const parameters = 11;
    core.openRound('job-1', 1, parameters);
    const handed: SealedUpdate[] = [];
    const enclave = {
      description: core.describe(),
      addUpdate: (u: SealedUpdate) => {
        handed.push({ ...u, sealed: Buffer.from(u.sealed) });
        return core.addUpdate(u);
      },
    };
    const identity = identityFromPrivateKey(generateKeyPairSync('ed25519').privateKey);
    const activeRounds = new ActiveRounds();
    activeRounds.set(new ActiveRound('job-1', 1, parameters, ['s1']));
    const service = new FederationService(
      {} as any,
      {} as any,
      {} as any,
      { setUpdate: () => Promise.resolve() } as any,
      {} as any,
      activeRounds,
      {} as any,
      { require: () => Promise.resolve({ siloId: 's1', key: identity.publicKey }) } as any,
      {} as any,
      {} as any,
      enclave as any,
      {} as any,
      { info: () => undefined, warn: () => undefined } as any,
      { record: () => Promise.resolve(), recordRefusal: () => Promise.resolve() } as any,
      { emit: () => undefined } as any,
      { updateAccepted: () => undefined, updateRejected: () => undefined } as any,
    );

    // The silo's side: a distinctive update, sealed to the enclave's key and signed.
    const plaintext = new Float32Array(parameters).fill(-1234.5677);
    const plainBytes = packFloat32(plaintext);
    const claims = { jobId: 'job-1', round: 1, siloId: 's1' };
    const sealed = await seal(core.describe().hpkePublicKey, plainBytes, updateAad(claims));
    const nonce = activeRounds.require('job-1', 1).nonces.get('s1')!;
    const header = {
      ...claims,
      nonce,
      exampleCount: 7,
      payloadSha256: sha256(sealed),
      encoding: WeightsEncoding.WEIGHTS_ENCODING_FLOAT32,
      payloadBytes: sealed.byteLength,
      trainMs: 1,
      sealing: SEALING_SCHEME,
      signatureJws: await signUpdate(identity, {
        ...claims,
        nonce,
        payloadSha256: sha256(sealed),
        exampleCount: 7,
        sealing: SEALING_SCHEME,
      }),
    };
    const chunks: UpdateChunk[] = [{ header }, ...chunkBytes(sealed).map((data) => ({ data }))];
    const receipt = await service.upload(from(chunks), undefined);
    expect(receipt.siloId).toBe('s1');

    // The host passed on exactly the sealed bytes; nothing it handed over holds the plaintext.
    expect(handed).toHaveLength(1);
    expect(Buffer.from(handed[0].sealed).equals(sealed)).toBe(true);
    expect(Buffer.from(handed[0].sealed).includes(plainBytes.subarray(0, 8))).toBe(false);
    for (const value of Object.values(handed[0]))
      if (value instanceof Uint8Array)
        expect(Buffer.from(value).includes(plainBytes.subarray(0, 8))).toBe(false);
    // Inside the enclave the update is opened and folded in: the released mean is the silo's update.
    const { aggregate } = core.release('job-1', 1);
    expect(Array.from(unpackFloat32(Buffer.from(aggregate)))).toEqual(Array.from(plaintext));
  });

  /** The modules a file loads at run time (type-only imports erased), with the names it imports from each. */
  async function imports(file: string): Promise<{ from: string; names: string[] }[]> {
    const text = await readFile(file, 'utf8');
    const found: { from: string; names: string[] }[] = [];
    const statement = /^(?:import|export)\s+(?!type\s)([^;]*?)\s+from\s+'([^']+)'/gms;
    for (const [, what, from] of text.matchAll(statement)) {
      const names = (what.match(/\{([^}]*)\}/)?.[1] ?? '')
        .split(',')
        .map((n) => n.trim())
        .filter((n) => n && !n.startsWith('type '))
        .map((n) => n.split(/\s+as\s+/)[0]);
      found.push({ from, names: what.includes('*') ? ['*'] : names });
    }
    for (const [, from] of text.matchAll(/import\(\s*'([^']+)'\s*\)/g)) found.push({ from, names: ['*'] });
    for (const [, from] of text.matchAll(/^import\s+'([^']+)'/gm)) found.push({ from, names: [] });
    return found;
  }

  /** Every source module of ours reachable from `entry`, with what each takes from the @cohort libraries. */
  async function moduleGraph(entry: string): Promise<Map<string, { from: string; names: string[] }[]>> {
    const graph = new Map<string, { from: string; names: string[] }[]>();
    const queue = [entry];
    while (queue.length > 0) {
      const file = queue.pop()!;
      if (graph.has(file)) continue;
      const found = await imports(file);
      graph.set(file, found);
      for (const i of found)
        if (i.from.startsWith('.')) queue.push(join(dirname(file), i.from.replace(/\.js$/, '.ts')));
    }
    return graph;
  }

  it('cannot open an update: the host process loads neither the enclave core nor the sealing open', async () => {
    const sealingUse = (graph: Map<string, { from: string; names: string[] }[]>): string[] =>
      [...graph.values()].flatMap((list) =>
        list.filter((i) => i.from === '@cohort/sealing').flatMap((i) => i.names),
      );
    // The host's entry point (what `cohort aggregator start` runs) and everything it loads.
    const host = await moduleGraph(join(AGGREGATOR_SRC, 'bootstrap.ts'));
    expect(host.has(join(AGGREGATOR_SRC, 'federation/federation.service.ts'))).toBe(true);
    expect(host.has(join(AGGREGATOR_SRC, 'enclave/enclave.client.ts'))).toBe(true);
    expect(host.has(join(AGGREGATOR_SRC, 'enclave/enclave-core.ts'))).toBe(false);
    expect(host.has(join(AGGREGATOR_SRC, 'enclave/enclave-main.ts'))).toBe(false);
    expect(new Set(sealingUse(host))).toEqual(new Set(['SEALING_SCHEME', 'sealedLength']));
    // The check can fail: the enclave process's entry does load the core, which opens updates with its key.
    const enclave = await moduleGraph(join(AGGREGATOR_SRC, 'enclave/enclave-main.ts'));
    expect(enclave.has(join(AGGREGATOR_SRC, 'enclave/enclave-core.ts'))).toBe(true);
    expect(sealingUse(enclave)).toEqual(expect.arrayContaining(['open', 'generateSealingKeyPair']));
    // And the host starts the enclave as another process, from its own entry file.
    const client = await readFile(join(AGGREGATOR_SRC, 'enclave/enclave.client.ts'), 'utf8');
    expect(client).toMatch(/fork\(entry/);
    expect(client).toMatch(/'enclave-main\.js'/);
  });
});

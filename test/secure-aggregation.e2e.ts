// Secure aggregation (issue 11): the example job over four real hospitals with pairwise masking instead of the
// enclave. The model equals, up to quantization, the enclave's plain FedAvg of the same updates; robust rules
// are refused naming the enclave mode; distributed DP is charged and stated as such.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SecAggStepKind, TaskKind, type Task } from '@cohort/protocol';
import { SecAggClient, configFromWire, keysFromWire, keysToWire, sealedToWire } from '@cohort/secagg';
import { HandSilo } from './support/hand-silo.js';
import {
  EXAMPLES_DIR,
  http,
  runJob,
  startFederation,
  waitFor,
  waitForConnected,
  type Federation,
} from './support/federation.js';

const HOSPITALS = ['cleveland', 'hungarian', 'switzerland', 'va'];
const ROUNDS = 4;

async function weightsOf(f: Federation, jobId: string): Promise<Float32Array> {
  const bin = await fetch(`${f.gatewayUrl}/v1/jobs/${jobId}/model.weights.bin`, {
    headers: { authorization: `Bearer ${f.adminToken}` },
  });
  expect(bin.status).toBe(200);
  return new Float32Array(await bin.arrayBuffer());
}

async function sentUpdates(f: Federation, hospital: string): Promise<Record<string, any>[]> {
  const text = await readFile(join(f.home, 'silos', hospital, 'audit.jsonl'), 'utf8');
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, any>)
    .map((l) => (l.record ?? l.entry ?? l) as { action?: string; details?: Record<string, any> })
    .filter((r) => r.action === 'update.sent' && r.details)
    .map((r) => r.details as Record<string, any>);
}

describe('secure aggregation (masking, no enclave)', () => {
  let f: Federation;
  let spec: Record<string, any>;

  beforeAll(async () => {
    f = await startFederation();
    await Promise.all(HOSPITALS.map(async (h) => f.startSilo(h, await f.hospitalConfig(h))));
    await waitForConnected(f, HOSPITALS.length);
    spec = { ...JSON.parse(await readFile(join(EXAMPLES_DIR, 'job.json'), 'utf8')), rounds: ROUNDS };
  }, 300_000);

  afterAll(async () => {
    await f?.stop();
  }, 60_000);

  it.each(['secagg', 'secagg+'])(
    'with %s the model equals the enclave FedAvg of the same updates, up to quantization',
    async (protocol) => {
      const plain = await runJob(f, { ...spec, name: `plain-${protocol}` });
      const masked = await runJob(f, {
        ...spec,
        name: `masked-${protocol}`,
        secureAggregation: { protocol, bits: 32 },
      });
      expect(plain.status).toBe('completed');
      expect({ status: masked.status, reason: masked.failureReason }).toEqual({
        status: 'completed',
        reason: '',
      });
      expect(masked.spec.secureAggregation).toMatchObject({ protocol, bits: 32, threshold: 2 / 3 });
      expect(masked.rounds).toHaveLength(ROUNDS);
      for (const round of masked.rounds) {
        const accepted = round.silos
          .filter((s: any) => s.updateStatus === 'accepted')
          .map((s: any) => s.siloId);
        expect(accepted.sort()).toEqual([...HOSPITALS].sort());
      }
      const a = await weightsOf(f, plain.jobId);
      const b = await weightsOf(f, masked.jobId);
      let maxDiff = 0;
      for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
      const accuracy = [plain, masked].map((j) => j.rounds.at(-1).metrics.accuracy);
      console.log(
        `secure aggregation (${protocol}), ${ROUNDS} rounds: max |w_masked − w_enclave| = ${maxDiff.toExponential(2)}, ` +
          `accuracy enclave ${accuracy[0].toFixed(4)}, masked ${accuracy[1].toFixed(4)}`,
      );
      // One quantizer step is 1/scale ≈ 1.5e-8 for 4 silos at 32 bits and clip range 8; over rounds of training
      // the difference stays far below what changes a prediction.
      expect(maxDiff).toBeLessThan(1e-4);
      expect(Math.abs(accuracy[0] - accuracy[1])).toBeLessThanOrEqual(0.01);
      // Each hospital's log holds one masked input per round: P + 1 little-endian words.
      const p = spec.dataset.features.length + 1;
      for (const h of HOSPITALS) {
        const sent = (await sentUpdates(f, h)).filter((s) => s.jobId === masked.jobId);
        expect(sent).toHaveLength(ROUNDS);
        expect(new Set(sent.map((s) => s.bytes))).toEqual(new Set([4 * (p + 1)]));
        expect(new Set(sent.map((s) => s.encoding))).toEqual(new Set(['secagg-masked']));
      }
    },
    300_000,
  );

  it('refuses a robust rule in this mode, naming the enclave mode as the alternative', async () => {
    const r = await http('POST', `${f.gatewayUrl}/v1/jobs`, {
      ...spec,
      name: 'masked-median',
      aggregation: { rule: 'median' },
      secureAggregation: { protocol: 'secagg+' },
    });
    expect(r.status).toBe(400);
    const text = JSON.stringify(r.body);
    expect(text).toMatch(/needs each silo's update/);
    expect(text).toMatch(/enclave mode/);
  });

  it('runs distributed DP: each silo adds its share of Skellam noise and the statement says so', async () => {
    const job = await runJob(f, {
      ...spec,
      name: 'masked-dp',
      rounds: 3,
      secureAggregation: { protocol: 'secagg' },
      privacy: {
        enabled: true,
        targetEpsilon: 8,
        delta: 1e-3,
        level: 'silo',
        mode: 'distributed',
        clipNorm: 1,
      },
    });
    expect({ status: job.status, reason: job.failureReason }).toEqual({ status: 'completed', reason: '' });
    // Noise is planned for the fewest survivors, so every planned round fits the target.
    expect(job.rounds).toHaveLength(3);
    expect(job.privacy.epsilon).toBeGreaterThan(0);
    expect(job.privacy.epsilon).toBeLessThanOrEqual(8);
    const model = await http('GET', `${f.gatewayUrl}/v1/jobs/${job.jobId}/model`);
    expect(model.status).toBe(200);
    const statement = model.body.userDefinedMetadata.cohortPrivacyStatement;
    expect(statement).toMatchObject({ level: 'silo', mode: 'distributed' });
    expect(statement.mechanism).toMatch(/Skellam/);
    expect(statement.notes).toMatch(/Norm bounding is done by each silo and proven by nothing/);
    expect(statement.notes).toMatch(/DP is distributed/);
  }, 300_000);

  it('recovers the sum when a silo drops after sharing its keys: the model is the FedAvg of the four hospitals', async () => {
    // The enclave's FedAvg of the four hospitals, before the hand-driven silo below joins.
    const plain = await runJob(f, { ...spec, name: 'plain-one-round', rounds: 1 });
    expect(plain.status).toBe('completed');
    const used = plain.decisions
      .filter((d: any) => d.accept)
      .map((d: any) => d.siloId)
      .sort();
    expect(used).toEqual([...HOSPITALS].sort());
    // Masked: the four hospitals and a silo that advertises and shares its keys, then goes silent.
    const dropper = await HandSilo.enrol(f, 'dropper');
    try {
      await dropper.connect();
      await waitForConnected(f, HOSPITALS.length + 1);
      const submitted = await http('POST', `${f.gatewayUrl}/v1/jobs`, {
        ...spec,
        name: 'masked-dropout',
        rounds: 1,
        minSilos: 3,
        gracePeriodMs: 1000,
        secureAggregation: { protocol: 'secagg' },
      });
      expect(submitted.status).toBe(201);
      const jobId = submitted.body.jobId as string;
      const step = (kind: SecAggStepKind) => (t: Task) =>
        t.jobId === jobId && t.kind === TaskKind.TASK_KIND_SECAGG && t.secagg?.kind === kind;
      const advertise = await dropper.nextTask(step(SecAggStepKind.SEC_AGG_STEP_KIND_ADVERTISE), 120_000);
      const config = configFromWire(advertise.secagg!.config!);
      const client = new SecAggClient('dropper', config);
      const base = { jobId, round: 1, nonce: advertise.nonce };
      expect(
        (
          await dropper.secAggSubmit({
            ...base,
            step: SecAggStepKind.SEC_AGG_STEP_KIND_ADVERTISE,
            keys: keysToWire(client.advertise()),
          })
        ).ok,
      ).toBe(true);
      const share = await dropper.nextTask(step(SecAggStepKind.SEC_AGG_STEP_KIND_SHARE));
      const shares = client.shareKeys({ config, keys: share.secagg!.roster.map(keysFromWire) });
      expect(
        (
          await dropper.secAggSubmit({
            ...base,
            step: SecAggStepKind.SEC_AGG_STEP_KIND_SHARE,
            selfMaskCommitment: shares.selfMaskCommitment,
            shares: shares.shares.map(sealedToWire),
          })
        ).ok,
      ).toBe(true);
      await dropper.nextTask(step(SecAggStepKind.SEC_AGG_STEP_KIND_MASK));
      // Its pairwise masks are in the other silos' inputs: the survivors' shares of its key must remove them.
      dropper.disconnect();
      const masked = await waitFor(
        'the masked job to end',
        async () => {
          const r = await http('GET', `${f.gatewayUrl}/v1/jobs/${jobId}`);
          return ['completed', 'failed', 'cancelled'].includes(r.body.status) ? r.body : undefined;
        },
        120_000,
      );
      expect({ status: masked.status, reason: masked.failureReason }).toEqual({
        status: 'completed',
        reason: '',
      });
      const accepted = masked.rounds[0].silos
        .filter((s: any) => s.updateStatus === 'accepted')
        .map((s: any) => s.siloId)
        .sort();
      expect(accepted).toEqual([...HOSPITALS].sort());
      const a = await weightsOf(f, plain.jobId);
      const b = await weightsOf(f, jobId);
      let maxDiff = 0;
      for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
      console.log(
        `secure aggregation with a dropout after sharing: max |w_masked − w_enclave| = ${maxDiff.toExponential(2)}`,
      );
      expect(maxDiff).toBeLessThan(1e-5);
    } finally {
      dropper.close();
    }
  }, 300_000);
});

import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DEFAULT_DEV_ISSUER_URL,
  DevIssuer,
  ROLE_MATRIX,
  ROLES,
  type MintRequest,
  type Permission,
} from '@cohort/auth';
import { status } from '@grpc/grpc-js';
import {
  WeightsEncoding,
  chunkBytes,
  packFloat32,
  sha256,
  type AuditEntry,
  type AuditVerification,
  type CancelJobRequest,
  type DownloadModelRequest,
  type ExportAuditChunk,
  type ExportAuditRequest,
  type ListAuditRequest,
  type ListAuditResponse,
  type RecordAuditRequest,
  type GetJobRequest,
  type InviteSiloRequest,
  type Job,
  type JobEvent,
  type JobsServiceController,
  type ListJobsRequest,
  type ListJobsResponse,
  type ListSilosResponse,
  type ModelChunk,
  type ModelSpec,
  type RevokeSiloRequest,
  type SiloInfo,
  type SiloInvitation,
  type SubmitJobRequest,
} from '@cohort/protocol';
import { EMPTY, from, NEVER, type Observable } from 'rxjs';
import { startGateway, type RunningGateway, type StartGatewayOptions } from './bootstrap.js';
import type { LayersModelArtifacts, ModelArtifactsConverter } from './models/model-artifacts.converter.js';
import { FakeGrpcError, startFakeJobsService, type FakeJobsServer } from './testing/fake-jobs-service.js';

/** An in-memory aggregator: stores submitted jobs, and lets a test script failures per call. */
class FakeAggregator implements JobsServiceController {
  jobs = new Map<string, Job>();
  submitted: SubmitJobRequest[] = [];
  cancelled: CancelJobRequest[] = [];
  downloads: DownloadModelRequest[] = [];
  failSubmit: FakeGrpcError | undefined;
  hangGet = false;
  model: ModelChunk[] | undefined;
  invited: InviteSiloRequest[] = [];
  revoked: RevokeSiloRequest[] = [];
  /** What inviteSilo answers; a test may blank it to play a broken aggregator. */
  nextJoinToken = 'cjt_fake-join-token';
  silos = new Map<string, SiloInfo>([
    [
      'cleveland',
      {
        siloId: 'cleveland',
        connected: true,
        lastSeenUnixMs: 1_700_000_000_000,
        datasetIds: ['heart-disease'],
        status: 'enrolled',
        enrolledAtUnixMs: 1_699_000_000_000,
        keyFingerprint: 'ab'.repeat(32),
      },
    ],
  ]);

  submitJob(request: SubmitJobRequest): Job {
    this.submitted.push(request);
    if (this.failSubmit) throw this.failSubmit;
    const job: Job = {
      jobId: `job-${this.jobs.size + 1}`,
      spec: request.spec,
      status: 'pending',
      currentRound: 0,
      privacy: undefined,
      failureReason: '',
      submittedBy: request.submittedBy,
      createdAtUnixMs: 1_700_000_000_000,
      updatedAtUnixMs: 1_700_000_000_000,
      decisions: [],
      rounds: [],
    };
    this.jobs.set(job.jobId, job);
    return job;
  }

  getJob(request: GetJobRequest): Promise<Job> | Job {
    if (this.hangGet) return new Promise<Job>(() => undefined);
    const job = this.jobs.get(request.jobId);
    if (!job) throw new FakeGrpcError(status.NOT_FOUND, `job ${request.jobId} not found`, 'JOB_NOT_FOUND');
    return job;
  }

  listJobs(_request: ListJobsRequest): ListJobsResponse {
    return { jobs: [...this.jobs.values()], nextPageToken: '' };
  }

  cancelJob(request: CancelJobRequest): Job {
    this.cancelled.push(request);
    const job = this.jobs.get(request.jobId);
    if (!job) throw new FakeGrpcError(status.NOT_FOUND, `job ${request.jobId} not found`, 'JOB_NOT_FOUND');
    job.status = 'cancelled';
    return job;
  }

  /** What watchJob streams (then completes); without it the stream stays open and silent. */
  watchEvents: JobEvent[] | undefined;

  watchJob(): Observable<JobEvent> {
    return this.watchEvents ? from(this.watchEvents) : NEVER;
  }

  downloadModel(request: DownloadModelRequest): Observable<ModelChunk> {
    this.downloads.push(request);
    if (!this.model && !this.jobs.has(request.jobId)) {
      throw new FakeGrpcError(status.NOT_FOUND, `job ${request.jobId} not found`, 'JOB_NOT_FOUND');
    }
    if (!this.model) {
      throw new FakeGrpcError(
        status.FAILED_PRECONDITION,
        'the model of this job is not released yet',
        'MODEL_NOT_RELEASED',
      );
    }
    return this.model.length === 0 ? EMPTY : from(this.model);
  }

  listSilos(): ListSilosResponse {
    return { silos: [...this.silos.values()] };
  }

  inviteSilo(request: InviteSiloRequest): SiloInvitation {
    this.invited.push(request);
    if (this.silos.get(request.siloName)?.status === 'enrolled') {
      throw new FakeGrpcError(
        status.ALREADY_EXISTS,
        `silo ${request.siloName} is already enrolled; revoke it first`,
        'SILO_ALREADY_ENROLLED',
      );
    }
    this.silos.set(request.siloName, {
      siloId: request.siloName,
      connected: false,
      lastSeenUnixMs: 0,
      datasetIds: [],
      status: 'invited',
      enrolledAtUnixMs: 0,
      keyFingerprint: '',
    });
    return {
      siloName: request.siloName,
      joinToken: this.nextJoinToken,
      expiresAtUnixMs: 1_700_000_000_000 + request.ttlSeconds * 1000,
    };
  }

  revokeSilo(request: RevokeSiloRequest): SiloInfo {
    this.revoked.push(request);
    const silo = this.silos.get(request.siloName);
    if (!silo) {
      throw new FakeGrpcError(status.NOT_FOUND, `no silo named ${request.siloName}`, 'SILO_UNKNOWN');
    }
    silo.status = 'revoked';
    silo.connected = false;
    return silo;
  }

  auditQueries: ListAuditRequest[] = [];
  exports: ExportAuditRequest[] = [];
  auditEntries: AuditEntry[] = [1, 2, 3].map((seq) => ({
    seq,
    time: `2026-11-27T10:00:0${seq}.000Z`,
    actor: 'user:alice',
    action: 'job.submitted',
    subject: `job:j${seq}`,
    detailsJson: `{"jobId":"j${seq}"}`,
    prevHash: String(seq - 1).repeat(64),
    hash: String(seq).repeat(64),
  }));

  listAudit(request: ListAuditRequest): ListAuditResponse {
    this.auditQueries.push(request);
    const after = this.auditEntries.filter((e) => e.seq > request.afterSeq);
    const page = after.slice(0, request.limit);
    return {
      entries: page,
      nextAfterSeq: after.length > page.length ? page[page.length - 1].seq : 0,
      total: this.auditEntries.length,
    };
  }

  exportAudit(request: ExportAuditRequest): Observable<ExportAuditChunk> {
    this.exports.push(request);
    return from(['{"type":"header"}\n', '{"type":"entry","seq":1}\n'].map((l) => ({ data: Buffer.from(l) })));
  }

  verifyAudit(): AuditVerification {
    return {
      ok: false,
      entries: 3,
      checkpoints: 1,
      firstBrokenSeq: 2,
      faultCode: 'HASH_MISMATCH',
      message: 'entry 2 does not hash to its stored hash',
      uncheckpointedTail: 0,
      signers: ['cd'.repeat(32)],
    };
  }

  recorded: RecordAuditRequest[] = [];

  recordAudit(request: RecordAuditRequest): AuditEntry {
    this.recorded.push(request);
    return { ...this.auditEntries[0], actor: request.actor, action: request.action };
  }
}

const validSpec = {
  name: 'heart disease baseline',
  model: { template: 'logreg' },
  dataset: { id: 'heart-disease', features: ['age', 'sex', 'chol'] },
  rounds: 3,
};

// The gateway under test runs the development issuer on this key folder; the tests mint with the same key.
let issuerDir: string;
let issuer: DevIssuer;
let defaultToken: string;

/** A token for `subject`; admin unless roles are given, so the principal-passing tests keep every permission. */
function tokenFor(
  subject: string,
  roles: string[] = ['admin'],
  extra: Partial<MintRequest> = {},
): Promise<string> {
  return issuer.mint({ subject, roles, audience: 'cohort-gateway', ...extra });
}

beforeAll(async () => {
  issuerDir = await mkdtemp(join(tmpdir(), 'cohort-gateway-issuer-'));
  issuer = await DevIssuer.create({ issuer: DEFAULT_DEV_ISSUER_URL, keyDir: issuerDir });
  defaultToken = await tokenFor('researcher');
});

afterAll(async () => {
  await rm(issuerDir, { recursive: true, force: true });
});

async function request(
  gateway: RunningGateway,
  path: string,
  init: {
    method?: string;
    body?: unknown;
    headers?: Record<string, string>;
    raw?: string;
    /** A bearer token; null sends none. Default: an admin token for subject "researcher". */
    token?: string | null;
  } = {},
): Promise<{ status: number; body: any; headers: Headers; bytes: Buffer }> {
  const hasBody = init.body !== undefined || init.raw !== undefined;
  const token = init.token === undefined ? defaultToken : init.token;
  const response = await fetch(`${gateway.url}${path}`, {
    method: init.method ?? (hasBody ? 'POST' : 'GET'),
    headers: {
      ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...init.headers,
    },
    body: init.raw ?? (init.body !== undefined ? JSON.stringify(init.body) : undefined),
  });
  const bytes = Buffer.from(await response.arrayBuffer());
  const isJson = response.headers.get('content-type')?.includes('application/json');
  return {
    status: response.status,
    body: isJson ? JSON.parse(bytes.toString('utf8')) : undefined,
    headers: response.headers,
    bytes,
  };
}

/**
 * fetch for TensorFlow.js inside jest: Node's fetch builds JSON arrays in the outer realm, which fail tfjs's
 * `instanceof Array` checks inside jest's VM context. Re-parsing here keeps every object in this realm; in a real
 * process (one realm) plain fetch works, which is all tf.loadLayersModel(url) uses.
 */
async function inRealmFetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
  const response = await fetch(input, init);
  const bytes = new Uint8Array(await response.arrayBuffer()).slice();
  const text = new TextDecoder().decode(bytes);
  return {
    ok: response.ok,
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
    url: input instanceof Request ? input.url : String(input),
    json: () => Promise.resolve(JSON.parse(text)),
    text: () => Promise.resolve(text),
    arrayBuffer: () => Promise.resolve(bytes.buffer),
  } as unknown as Response;
}

async function waitUntil(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('gateway against a fake aggregator', () => {
  let aggregator: FakeAggregator;
  let fake: FakeJobsServer;
  let gateway: RunningGateway;
  let converted: { spec: ModelSpec; inputDim: number; weights: Float32Array }[];

  const fakeConverter: ModelArtifactsConverter = {
    toLayersModelArtifacts: (spec, inputDim, weights): Promise<LayersModelArtifacts> => {
      converted.push({ spec, inputDim, weights });
      return Promise.resolve({
        modelJson: {
          format: 'layers-model',
          modelTopology: { template: spec.template },
          weightsManifest: [{ paths: ['weights.bin'], weights: [] }],
        },
        weightsBin: Buffer.from(weights.buffer, weights.byteOffset, weights.byteLength),
      });
    },
  };

  async function start(options: Partial<StartGatewayOptions> = {}): Promise<RunningGateway> {
    return startGateway(
      {
        aggregatorUrl: fake.url,
        port: 0,
        logLevel: 'silent',
        insecureTransport: true,
        auth: { mode: 'dev', keyDir: issuerDir },
        ...options,
      },
      { modelArtifacts: fakeConverter },
    );
  }

  beforeEach(async () => {
    aggregator = new FakeAggregator();
    converted = [];
    fake = await startFakeJobsService(aggregator);
    gateway = await start();
  });

  afterEach(async () => {
    await gateway.close();
    await fake.stop();
  });

  it('binds the port it was given 0 for and reports it in its URL', () => {
    expect(gateway.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(gateway.url).not.toMatch(/:0$/);
  });

  it('answers /healthz', async () => {
    const res = await request(gateway, '/healthz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  describe('POST /v1/jobs', () => {
    it('refuses an invalid spec with one message per bad field, without calling the aggregator', async () => {
      const res = await request(gateway, '/v1/jobs', {
        body: { ...validSpec, model: { template: 'cnn' }, rounds: -2, colour: 'blue' },
      });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('JOB_SPEC_INVALID');
      expect(res.body.error.message).toContain('model.template');
      expect(res.body.error.details).toEqual([
        {
          field: 'model.template',
          message: 'unknown model template "cnn"; this version supports: logreg, mlp',
        },
        { field: 'rounds', message: 'must be an integer from 1 to 10000 (got -2)' },
        { field: 'colour', message: 'unknown field' },
      ]);
      expect(aggregator.submitted).toHaveLength(0);
    });

    it('passes on the aggregator refusing the job, with its code and field details', async () => {
      aggregator.failSubmit = new FakeGrpcError(
        status.INVALID_ARGUMENT,
        'the job cannot run in this federation',
        'JOB_SPEC_INVALID',
        [{ field: 'minSilos', message: 'quorum 5 is above the 4 silos in the federation' }],
      );
      const res = await request(gateway, '/v1/jobs', { body: { ...validSpec, minSilos: 5 } });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({
        error: {
          code: 'JOB_SPEC_INVALID',
          message: 'the job cannot run in this federation',
          details: [{ field: 'minSilos', message: 'quorum 5 is above the 4 silos in the federation' }],
        },
      });
    });

    it('maps an aggregator FAILED_PRECONDITION to 409 with the aggregator code', async () => {
      aggregator.failSubmit = new FakeGrpcError(
        status.FAILED_PRECONDITION,
        'no silo has this dataset',
        'DATASET_UNKNOWN',
      );
      const res = await request(gateway, '/v1/jobs', { body: validSpec });
      expect(res.status).toBe(409);
      expect(res.body.error).toEqual({
        code: 'DATASET_UNKNOWN',
        message: 'no silo has this dataset',
        details: [],
      });
    });

    it('refuses a body that is not JSON, not declared as JSON, or too large, in the JSON error shape', async () => {
      const malformed = await request(gateway, '/v1/jobs', {
        raw: '{"name": ',
        headers: { 'content-type': 'application/json' },
      });
      expect(malformed.status).toBe(400);
      expect(malformed.body.error.code).toBe('BODY_NOT_JSON');

      const text = await request(gateway, '/v1/jobs', {
        raw: 'name=x',
        headers: { 'content-type': 'text/plain' },
      });
      expect(text.status).toBe(415);
      expect(text.body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');

      const huge = await request(gateway, '/v1/jobs', {
        body: { ...validSpec, name: 'x'.repeat(2 * 1024 * 1024) },
      });
      expect(huge.status).toBe(413);
      expect(huge.body.error.code).toBe('PAYLOAD_TOO_LARGE');
      expect(aggregator.submitted).toHaveLength(0);
    });

    it("submits as the token's subject", async () => {
      await request(gateway, '/v1/jobs', {
        body: validSpec,
        token: await tokenFor('dr.ada@cleveland', ['researcher']),
      });
      await request(gateway, '/v1/jobs', { body: validSpec });
      expect(aggregator.submitted.map((s) => s.submittedBy)).toEqual(['dr.ada@cleveland', 'researcher']);
    });
  });

  it('round-trips a job: submit, get, list, cancel', async () => {
    const submitted = await request(gateway, '/v1/jobs', { body: validSpec });
    expect(submitted.status).toBe(201);
    const id: string = submitted.body.jobId;
    expect(id).toBe('job-1');
    // The aggregator received the spec with every default filled in.
    expect(aggregator.submitted[0].spec).toMatchObject({
      minSilos: 1,
      roundTimeoutMs: 120_000,
      local: { epochs: 1, batchSize: 32, learningRate: 0.1 },
      serverOptimizer: { kind: 'none', learningRate: 1 },
    });

    const got = await request(gateway, `/v1/jobs/${id}`);
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({
      jobId: id,
      status: 'pending',
      submittedBy: 'researcher',
      spec: {
        name: validSpec.name,
        model: { template: 'logreg', hiddenUnits: [] },
        rounds: 3,
        privacy: null,
      },
    });

    const listed = await request(gateway, '/v1/jobs');
    expect(listed.status).toBe(200);
    expect((listed.body.jobs as { jobId: string }[]).map((j) => j.jobId)).toEqual([id]);
    expect(listed.body.nextPageToken).toBeNull();

    const cancelled = await request(gateway, `/v1/jobs/${id}/cancel`, {
      method: 'POST',
      token: await tokenFor('dr.ada'),
    });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    expect(aggregator.cancelled).toEqual([{ jobId: id, requestedBy: 'dr.ada', reason: '' }]);

    const withReason = await request(gateway, `/v1/jobs/${id}/cancel`, {
      body: { reason: 'wrong features' },
    });
    expect(withReason.status).toBe(200);
    expect(aggregator.cancelled[1].reason).toBe('wrong features');
  });

  it('a job as the gateway returns it can be submitted again', async () => {
    const submitted = await request(gateway, '/v1/jobs', {
      body: { ...validSpec, serverOptimizer: { kind: 'fedadam' } },
    });
    const again = await request(gateway, '/v1/jobs', { body: submitted.body.spec });
    expect(again.status).toBe(201);
    expect(aggregator.submitted[1].spec).toEqual(aggregator.submitted[0].spec);
  });

  it('returns metrics per round and per silo, with an undefined AUC as null and never NaN', async () => {
    const metrics = (auc: number | undefined, loss = 0.5) => ({
      loss,
      accuracy: 0.8,
      ...(auc === undefined ? {} : { auc }),
      examples: 40,
      positiveHistogram: [1, 2],
      negativeHistogram: [3, 4],
    });
    aggregator.jobs.set('job-m', {
      ...aggregator.submitJob({ spec: undefined, submittedBy: 'researcher' }),
      jobId: 'job-m',
      status: 'running',
      currentRound: 1,
      rounds: [
        {
          round: 1,
          status: 'completed',
          epsilonSpent: 0,
          lateUpdates: 0,
          startedAtUnixMs: 1,
          closedAtUnixMs: 2,
          durationMs: 1,
          metrics: metrics(0.75),
          silos: [
            {
              siloId: 'cleveland',
              updateStatus: 'accepted',
              reason: '',
              exampleCount: 40,
              trainMs: 9,
              outlier: undefined,
              metrics: metrics(undefined),
            },
            {
              siloId: 'va',
              updateStatus: 'accepted',
              reason: '',
              exampleCount: 40,
              trainMs: 9,
              outlier: undefined,
              metrics: metrics(Number.NaN, Number.NaN),
            },
          ],
        },
      ],
    });
    const res = await request(gateway, '/v1/jobs/job-m');
    expect(res.status).toBe(200);
    const [round] = res.body.rounds;
    expect(round.metrics).toEqual({
      loss: 0.5,
      accuracy: 0.8,
      auc: 0.75,
      examples: 40,
      positiveHistogram: [1, 2],
      negativeHistogram: [3, 4],
    });
    expect(round.silos[0].metrics.auc).toBeNull();
    expect(round.silos[1].metrics).toMatchObject({ auc: null, loss: null });
    expect(res.bytes.toString('utf8')).not.toMatch(/NaN|"_auc"/);
  });

  it('answers 404 with the aggregator code for an unknown job', async () => {
    for (const path of ['/v1/jobs/nope', '/v1/jobs/nope/model']) {
      const res = await request(gateway, path);
      expect(res.status).toBe(404);
      expect(res.body.error).toEqual({ code: 'JOB_NOT_FOUND', message: 'job nope not found', details: [] });
    }
    const cancel = await request(gateway, '/v1/jobs/nope/cancel', { method: 'POST' });
    expect(cancel.status).toBe(404);
  });

  it('answers 404 in JSON for an unknown route', async () => {
    const res = await request(gateway, '/v2/jobs');
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('ROUTE_NOT_FOUND');
    const wrongMethod = await request(gateway, '/v1/silos', { method: 'DELETE' });
    expect(wrongMethod.status).toBe(404);
    expect(wrongMethod.body.error.code).toBe('ROUTE_NOT_FOUND');
  });

  it('refuses unknown list parameters', async () => {
    const res = await request(gateway, '/v1/jobs?limit=5');
    expect(res.status).toBe(400);
    expect(res.body.error.details[0].field).toBe('limit');
  });

  describe('silos (site admin)', () => {
    it('lists silos with their enrolment status, time and key fingerprint', async () => {
      await request(gateway, '/v1/silos/invitations', { body: { name: 'va' } });
      const res = await request(gateway, '/v1/silos');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        silos: [
          {
            siloId: 'cleveland',
            status: 'enrolled',
            connected: true,
            lastSeenUnixMs: 1_700_000_000_000,
            datasetIds: ['heart-disease'],
            enrolledAtUnixMs: 1_699_000_000_000,
            enrolledAt: '2023-11-03T08:26:40.000Z',
            keyFingerprint: 'ab'.repeat(32),
          },
          {
            siloId: 'va',
            status: 'invited',
            connected: false,
            lastSeenUnixMs: 0,
            datasetIds: [],
            enrolledAtUnixMs: null,
            enrolledAt: null,
            keyFingerprint: null,
          },
        ],
      });
    });

    it('invites a silo: 201 with the join token, shown once and not cached', async () => {
      const res = await request(gateway, '/v1/silos/invitations', {
        body: { name: 'hungarian' },
        token: await tokenFor('it-admin@hungary'),
      });
      expect(res.status).toBe(201);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.body).toEqual({
        siloName: 'hungarian',
        joinToken: 'cjt_fake-join-token',
        expiresAt: new Date(1_700_000_000_000 + 86_400_000).toISOString(),
        expiresAtUnixMs: 1_700_000_000_000 + 86_400_000,
      });
      // One day unless asked otherwise, requested by the principal (the audit trail's "who").
      expect(aggregator.invited).toEqual([
        { siloName: 'hungarian', ttlSeconds: 86_400, requestedBy: 'it-admin@hungary' },
      ]);

      const short = await request(gateway, '/v1/silos/invitations', {
        body: { name: 'switzerland', ttlSeconds: 600 },
      });
      expect(short.status).toBe(201);
      expect(short.body.expiresAtUnixMs).toBe(1_700_000_000_000 + 600_000);
      expect(aggregator.invited[1]).toEqual({
        siloName: 'switzerland',
        ttlSeconds: 600,
        requestedBy: 'researcher',
      });
    });

    it('refuses an invalid invitation with one message per field, without calling the aggregator', async () => {
      const res = await request(gateway, '/v1/silos/invitations', {
        body: { name: '-no spaces', ttlSeconds: 30.5, colour: 'blue' },
      });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('REQUEST_INVALID');
      expect(res.body.error.details).toEqual([
        {
          field: 'name',
          message: 'must be 1 to 63 letters, digits, ".", "_" or "-", starting with a letter or digit',
        },
        { field: 'ttlSeconds', message: 'must be a whole number of seconds from 60 to 604800' },
        { field: 'colour', message: 'unknown field' },
      ]);

      for (const body of [{}, { name: 'x'.repeat(64) }, { name: 7 }, { name: 'ok', ttlSeconds: 604_801 }]) {
        const bad = await request(gateway, '/v1/silos/invitations', { body });
        expect(bad.status).toBe(400);
        expect(bad.body.error.details).toHaveLength(1);
      }
      const notAnObject = await request(gateway, '/v1/silos/invitations', { body: ['va'] });
      expect(notAnObject.status).toBe(400);
      const noBody = await request(gateway, '/v1/silos/invitations', { method: 'POST' });
      expect(noBody.status).toBe(415);
      expect(aggregator.invited).toHaveLength(0);
    });

    it('passes on the aggregator refusing to invite an enrolled silo as 409', async () => {
      const res = await request(gateway, '/v1/silos/invitations', { body: { name: 'cleveland' } });
      expect(res.status).toBe(409);
      expect(res.body.error).toEqual({
        code: 'SILO_ALREADY_ENROLLED',
        message: 'silo cleveland is already enrolled; revoke it first',
        details: [],
      });
    });

    it('reports an invitation without a join token as the aggregator failing (502)', async () => {
      aggregator.nextJoinToken = '';
      const res = await request(gateway, '/v1/silos/invitations', { body: { name: 'va' } });
      expect(res.status).toBe(502);
      expect(res.body.error.code).toBe('AGGREGATOR_ERROR');
    });

    it('revokes a silo and answers its view, with the reason and principal passed on', async () => {
      const res = await request(gateway, '/v1/silos/cleveland/revoke', {
        body: { reason: 'key on a stolen laptop' },
        token: await tokenFor('it-admin@cleveland'),
      });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ siloId: 'cleveland', status: 'revoked', connected: false });
      expect(aggregator.revoked).toEqual([
        { siloName: 'cleveland', requestedBy: 'it-admin@cleveland', reason: 'key on a stolen laptop' },
      ]);

      const noBody = await request(gateway, '/v1/silos/cleveland/revoke', { method: 'POST' });
      expect(noBody.status).toBe(200);
      expect(aggregator.revoked[1]).toEqual({ siloName: 'cleveland', requestedBy: 'researcher', reason: '' });
    });

    it('passes on revoking an unknown silo as 404 with the aggregator code', async () => {
      const res = await request(gateway, '/v1/silos/nowhere/revoke', { method: 'POST' });
      expect(res.status).toBe(404);
      expect(res.body.error).toEqual({ code: 'SILO_UNKNOWN', message: 'no silo named nowhere', details: [] });
    });

    it('refuses a revoke with an impossible name or an unknown field, without calling the aggregator', async () => {
      const badName = await request(gateway, `/v1/silos/${encodeURIComponent('a b')}/revoke`, {
        method: 'POST',
      });
      expect(badName.status).toBe(400);
      expect(badName.body.error.details[0].field).toBe('name');
      const badBody = await request(gateway, '/v1/silos/cleveland/revoke', { body: { why: 'x' } });
      expect(badBody.status).toBe(400);
      expect(badBody.body.error.details).toEqual([{ field: 'why', message: 'unknown field' }]);
      expect(aggregator.revoked).toHaveLength(0);
    });
  });

  it('answers 504 when the aggregator does not answer in time', async () => {
    const impatient = await start({ requestTimeoutMs: 300 });
    try {
      aggregator.hangGet = true;
      const res = await request(impatient, '/v1/jobs/job-1');
      expect(res.status).toBe(504);
      expect(res.body.error.code).toBe('AGGREGATOR_TIMEOUT');
    } finally {
      await impatient.close();
    }
  });

  describe('sign-in and roles', () => {
    // Every endpoint with the permissions that open it (any one of them), and a request that would succeed.
    const ENDPOINTS: {
      name: string;
      permissions: Permission[];
      call: (token: string | null) => ReturnType<typeof request>;
    }[] = [
      {
        name: 'POST /v1/jobs',
        permissions: ['job.submit'],
        call: (token) => request(gateway, '/v1/jobs', { body: validSpec, token }),
      },
      {
        name: 'GET /v1/jobs',
        permissions: ['job.read.own', 'job.read.any'],
        call: (token) => request(gateway, '/v1/jobs', { token }),
      },
      {
        name: 'GET /v1/jobs/:id',
        permissions: ['job.read.own', 'job.read.any'],
        call: (token) => request(gateway, '/v1/jobs/job-1', { token }),
      },
      {
        name: 'POST /v1/jobs/:id/cancel',
        permissions: ['job.cancel.own', 'job.cancel.any'],
        call: (token) => request(gateway, '/v1/jobs/job-1/cancel', { method: 'POST', token }),
      },
      {
        name: 'GET /v1/jobs/:id/model',
        permissions: ['model.download.own', 'model.download.any'],
        call: (token) => request(gateway, '/v1/jobs/job-1/model', { token }),
      },
      {
        name: 'GET /v1/jobs/:id/model.weights.bin',
        permissions: ['model.download.own', 'model.download.any'],
        call: (token) => request(gateway, '/v1/jobs/job-1/model.weights.bin', { token }),
      },
      {
        name: 'GET /v1/silos',
        permissions: ['silo.list'],
        call: (token) => request(gateway, '/v1/silos', { token }),
      },
      {
        name: 'POST /v1/silos/invitations',
        permissions: ['silo.invite'],
        call: (token) => request(gateway, '/v1/silos/invitations', { body: { name: 'va' }, token }),
      },
      {
        name: 'POST /v1/silos/:name/revoke',
        permissions: ['silo.revoke'],
        call: (token) => request(gateway, '/v1/silos/cleveland/revoke', { method: 'POST', token }),
      },
      {
        name: 'GET /v1/audit',
        permissions: ['audit.read'],
        call: (token) => request(gateway, '/v1/audit', { token }),
      },
      {
        name: 'GET /v1/audit/export',
        permissions: ['audit.export'],
        call: (token) => request(gateway, '/v1/audit/export', { token }),
      },
      {
        name: 'POST /v1/audit/verify',
        permissions: ['audit.verify'],
        call: (token) => request(gateway, '/v1/audit/verify', { method: 'POST', token }),
      },
    ];

    function resetFederation(): void {
      aggregator.jobs.clear();
      // job-1 belongs to rita, the researcher whose token is used below.
      aggregator.submitJob({ spec: validSpec as any, submittedBy: 'rita' });
      const bytes = packFloat32(Float32Array.of(1, 2, 3, 4));
      aggregator.model = [
        {
          header: {
            privacy: undefined,
            jobId: 'job-1',
            round: 1,
            model: { template: 'logreg', hiddenUnits: [] },
            layout: [
              { name: 'dense_0/kernel', shape: [3, 1] },
              { name: 'dense_0/bias', shape: [1] },
            ],
            encoding: WeightsEncoding.WEIGHTS_ENCODING_FLOAT32,
            totalBytes: bytes.byteLength,
            sha256: sha256(bytes),
          },
        },
        { data: bytes },
      ];
    }

    it('walks every role × endpoint: 200 where the role allows it, 403 where not', async () => {
      const outcomes: string[] = [];
      for (const role of ROLES) {
        const token = await tokenFor(role === 'researcher' ? 'rita' : `${role}-user`, [role]);
        for (const endpoint of ENDPOINTS) {
          resetFederation();
          const res = await endpoint.call(token);
          const allowed = endpoint.permissions.some((p) => ROLE_MATRIX[role].includes(p));
          outcomes.push(`${role} ${endpoint.name} ${res.status}`);
          if (allowed) {
            expect([`${role} ${endpoint.name}`, res.status < 300]).toEqual([
              `${role} ${endpoint.name}`,
              true,
            ]);
          } else {
            expect([`${role} ${endpoint.name}`, res.status, res.body?.error?.code]).toEqual([
              `${role} ${endpoint.name}`,
              403,
              'PERMISSION_DENIED',
            ]);
          }
        }
      }
      // Compliance reads the trail and every job, never a model.
      expect(outcomes).toContain('compliance GET /v1/jobs/:id 200');
      expect(outcomes).toContain('compliance GET /v1/jobs/:id/model 403');
      expect(outcomes).toContain('researcher GET /v1/audit 403');
    });

    it('answers 401 without a token, with a malformed, forged, expired or wrong-audience one, naming why', async () => {
      const forger = await DevIssuer.create({ issuer: DEFAULT_DEV_ISSUER_URL });
      const cases: [string | null, string][] = [
        [null, 'TOKEN_MISSING'],
        ['not-a-jwt', 'TOKEN_MALFORMED'],
        [
          await forger.mint({ subject: 'mallory', roles: ['admin'], audience: 'cohort-gateway' }),
          'TOKEN_SIGNATURE',
        ],
        [
          await tokenFor('rita', ['researcher'], { expiresAt: new Date(Date.now() - 3_600_000) }),
          'TOKEN_EXPIRED',
        ],
        [
          await issuer.mint({ subject: 'rita', roles: ['researcher'], audience: 'another-service' }),
          'TOKEN_AUDIENCE',
        ],
      ];
      for (const endpoint of ENDPOINTS) {
        for (const [token, code] of cases) {
          const res = await endpoint.call(token);
          expect([endpoint.name, code, res.status, res.body?.error?.code]).toEqual([
            endpoint.name,
            code,
            401,
            code,
          ]);
        }
      }
      // A token with no Cohort role is signed in but allowed nothing.
      const roleless = await tokenFor('nobody', ['viewer']);
      expect((await request(gateway, '/v1/jobs', { token: roleless })).body.error.code).toBe('ROLE_MISSING');
      // Health and the issuer's keys need no sign-in.
      expect((await request(gateway, '/healthz', { token: null })).status).toBe(200);
      const jwks = await request(gateway, '/dev-issuer/jwks.json', { token: null });
      expect(jwks.body.keys[0].kid).toBe(issuer.kid);
    });

    it("keeps researchers to their own jobs and models: another researcher's are not found", async () => {
      resetFederation();
      const bob = await tokenFor('bob', ['researcher']);
      for (const path of ['/v1/jobs/job-1', '/v1/jobs/job-1/model', '/v1/jobs/job-1/model.weights.bin']) {
        const res = await request(gateway, path, { token: bob });
        expect([path, res.status, res.body.error.code]).toEqual([path, 404, 'JOB_NOT_FOUND']);
      }
      expect((await request(gateway, '/v1/jobs/job-1/cancel', { method: 'POST', token: bob })).status).toBe(
        404,
      );
      expect(aggregator.cancelled).toEqual([]);
      const listed = await request(gateway, '/v1/jobs?submittedBy=rita', { token: bob });
      expect(listed.status).toBe(403);
      const own = await request(gateway, '/v1/jobs/job-1/model', {
        token: await tokenFor('rita', ['researcher']),
      });
      expect(own.status).toBe(200);
    });

    it('audits refused requests through the aggregator', async () => {
      const recorded = aggregator.recorded;
      await request(gateway, '/v1/audit', { token: await tokenFor('rita', ['researcher']) });
      await request(gateway, '/v1/jobs', { token: null });
      await waitUntil(() => recorded.length === 2);
      expect(recorded[0]).toMatchObject({
        actor: 'user:rita',
        action: 'auth.refused',
        subject: 'gateway:/v1/audit',
      });
      expect(JSON.parse(recorded[0].detailsJson)).toMatchObject({ code: 'PERMISSION_DENIED', method: 'GET' });
      expect(recorded[1]).toMatchObject({ action: 'auth.refused', subject: 'gateway:/v1/jobs' });
      expect(recorded[1].actor).toMatch(/^client:/);
      expect(JSON.parse(recorded[1].detailsJson)).toMatchObject({ code: 'TOKEN_MISSING' });
    });
  });

  it('serves the OpenAPI document and the interactive docs without sign-in, from local assets', async () => {
    const doc = await request(gateway, '/docs/openapi.json', { token: null });
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining([
        '/v1/jobs',
        '/v1/jobs/{id}',
        '/v1/jobs/{id}/events',
        '/v1/audit',
        '/v1/silos',
        '/v1/me',
      ]),
    );
    expect(doc.body.paths['/v1/jobs'].post.requestBody.content['application/json'].schema.$ref).toBe(
      '#/components/schemas/JobSpec',
    );
    expect(doc.body.components.schemas.JobSpec.required).toEqual(
      expect.arrayContaining(['name', 'model', 'dataset', 'rounds']),
    );
    expect(doc.body.components.securitySchemes.bearer.scheme).toBe('bearer');
    const page = await request(gateway, '/docs', { token: null });
    expect(page.status).toBe(200);
    const html = page.bytes.toString('utf8');
    expect(html).toContain('swagger-ui');
    // Every script and stylesheet comes from the gateway itself.
    expect(html).not.toMatch(/(src|href)="https?:\/\//);
  });

  it('limits requests per principal per minute with 429 and Retry-After', async () => {
    const limited = await start({ rateLimitPerMinute: 3 });
    try {
      const token = await tokenFor('rita', ['researcher']);
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await request(limited, '/v1/jobs', { token })).status);
      expect(statuses).toEqual([200, 200, 200, 429]);
      const refused = await request(limited, '/v1/jobs', { token });
      expect(refused.body.error.code).toBe('RATE_LIMITED');
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      // Someone else is not held up by rita.
      expect(
        (await request(limited, '/v1/jobs', { token: await tokenFor('bob', ['researcher']) })).status,
      ).toBe(200);
    } finally {
      await limited.close();
    }
  });

  it('refuses ids that try to leave their path, before anything reaches the aggregator', async () => {
    // (A bare '..' or '%2E%2E' never reaches a route: the URL resolves it first.)
    for (const id of ['..%2F..%2Fetc%2Fpasswd', 'a.b', '%00', 'x'.repeat(65)]) {
      for (const path of [`/v1/jobs/${id}`, `/v1/jobs/${id}/model`, `/v1/jobs/${id}/events`]) {
        const res = await request(gateway, path);
        expect([path, res.status, res.body?.error?.code]).toEqual([path, 400, 'REQUEST_INVALID']);
        expect(res.body.error.details[0].field).toBe('id');
      }
    }
    expect((await request(gateway, '/v1/jobs/..%2F..%2Fx/cancel', { method: 'POST' })).status).toBe(400);
    expect(aggregator.cancelled).toEqual([]);
    // Each attempt is audited under the signed-in principal.
    await waitUntil(() => aggregator.recorded.length >= 10);
    expect(aggregator.recorded[0]).toMatchObject({ actor: 'user:researcher', action: 'request.refused' });
    expect(JSON.parse(aggregator.recorded[0].detailsJson)).toMatchObject({ code: 'ID_INVALID' });
  });

  describe('job progress as Server-Sent Events', () => {
    it('streams the events with the job attached to status and round changes, then ends', async () => {
      const job = aggregator.submitJob({ spec: validSpec as any, submittedBy: 'rita' });
      aggregator.watchEvents = [
        {
          jobId: job.jobId,
          type: 'status',
          round: 0,
          siloId: '',
          message: 'running',
          job,
          atUnixMs: 1_700_000_000_000,
        },
        {
          jobId: job.jobId,
          type: 'update_accepted',
          round: 1,
          siloId: 'va',
          message: '',
          job: undefined,
          atUnixMs: 1_700_000_001_000,
        },
        {
          jobId: job.jobId,
          type: 'round_completed',
          round: 1,
          siloId: '',
          message: 'accuracy 0.700',
          job: undefined,
          atUnixMs: 1_700_000_002_000,
        },
      ];
      const res = await fetch(`${gateway.url}/v1/jobs/${job.jobId}/events`, {
        headers: { authorization: `Bearer ${await tokenFor('rita', ['researcher'])}` },
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/event-stream');
      const text = await res.text();
      const events = text
        .split('\n\n')
        .filter((block) => block.includes('data:'))
        .map((block) => ({
          type: /^event: (.*)$/m.exec(block)?.[1],
          data: JSON.parse(/^data: (.*)$/m.exec(block)![1]),
        }));
      expect(events.map((e) => e.type)).toEqual(['status', 'update_accepted', 'round_completed']);
      expect(events[0].data).toMatchObject({ type: 'status', message: 'running', job: { jobId: job.jobId } });
      expect(events[1].data).toEqual({
        type: 'update_accepted',
        round: 1,
        siloId: 'va',
        message: '',
        at: '2023-11-14T22:13:21.000Z',
      });
      expect(events[2].data.job).toMatchObject({ jobId: job.jobId, submittedBy: 'rita' });
    });

    it("refuses another researcher's job before any stream opens", async () => {
      const job = aggregator.submitJob({ spec: validSpec as any, submittedBy: 'rita' });
      const res = await request(gateway, `/v1/jobs/${job.jobId}/events`, {
        token: await tokenFor('bob', ['researcher']),
      });
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('JOB_NOT_FOUND');
      expect((await request(gateway, `/v1/jobs/${job.jobId}/events`, { token: null })).status).toBe(401);
    });
  });

  describe('audit trail (compliance)', () => {
    it('pages through the trail with filters passed on, details parsed', async () => {
      const res = await request(
        gateway,
        '/v1/audit?jobId=j1&action=job.submitted,job.cancelled&since=2026-11-27T00:00:00Z&limit=2',
        { token: await tokenFor('carol') },
      );
      expect(res.status).toBe(200);
      expect(res.body.entries.map((e: any) => e.seq)).toEqual([1, 2]);
      expect(res.body.entries[0].details).toEqual({ jobId: 'j1' });
      expect(res.body).toMatchObject({ nextAfterSeq: 2, total: 3 });
      expect(aggregator.auditQueries.at(-1)).toMatchObject({
        filter: {
          jobId: 'j1',
          actions: ['job.submitted', 'job.cancelled'],
          sinceUnixMs: Date.parse('2026-11-27T00:00:00Z'),
        },
        afterSeq: 0,
        limit: 2,
        requestedBy: 'carol',
      });
      const last = await request(gateway, '/v1/audit?afterSeq=2&limit=2');
      expect(last.body.entries.map((e: any) => e.seq)).toEqual([3]);
      expect(last.body.nextAfterSeq).toBeUndefined();
    });

    it('refuses a bad filter with one message per field', async () => {
      const res = await request(gateway, '/v1/audit?since=yesterday&limit=0&action=Job&colour=red');
      expect(res.status).toBe(400);
      expect(res.body.error.details.map((d: any) => d.field).sort()).toEqual([
        'action',
        'colour',
        'limit',
        'since',
      ]);
    });

    it('streams the export as a download, under the principal, in the format asked for', async () => {
      const res = await request(gateway, '/v1/audit/export?format=jsonl&siloId=va', {
        token: await tokenFor('carol'),
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-disposition')).toBe('attachment; filename="cohort-audit.jsonl"');
      expect(res.bytes.toString('utf8')).toBe('{"type":"header"}\n{"type":"entry","seq":1}\n');
      expect(aggregator.exports.at(-1)).toMatchObject({
        format: 'jsonl',
        filter: { siloId: 'va' },
        requestedBy: 'carol',
      });
      expect((await request(gateway, '/v1/audit/export?format=xml')).status).toBe(400);
    });

    it('reports the verification of the trail, naming the first broken entry', async () => {
      const res = await request(gateway, '/v1/audit/verify', { method: 'POST' });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        ok: false,
        entries: 3,
        checkpoints: 1,
        firstBrokenSeq: 2,
        fault: { code: 'HASH_MISMATCH', message: 'entry 2 does not hash to its stored hash' },
        uncheckpointedTail: 0,
        signers: ['cd'.repeat(32)],
      });
    });
  });

  describe('model download', () => {
    const spec: ModelSpec = { template: 'mlp', hiddenUnits: [2] };
    // 3 inputs → 2 hidden → 1 output: kernel 3x2, bias 2, kernel 2x1, bias 1.
    const layout = [
      { name: 'dense_0/kernel', shape: [3, 2] },
      { name: 'dense_0/bias', shape: [2] },
      { name: 'dense_1/kernel', shape: [2, 1] },
      { name: 'dense_1/bias', shape: [1] },
    ];
    const weights = Float32Array.from({ length: 11 }, (_, i) => i / 10 - 0.5);

    // job-1, dr.ada's: the default token is an admin's (model.download.any); ownership has its own test below.
    beforeEach(() => {
      aggregator.submitJob({ spec: undefined, submittedBy: 'dr.ada' });
    });

    function modelChunks(bytes: Buffer, digest: Uint8Array = sha256(bytes)): ModelChunk[] {
      return [
        {
          header: {
            privacy: undefined,
            jobId: 'job-1',
            round: 3,
            model: spec,
            layout,
            encoding: WeightsEncoding.WEIGHTS_ENCODING_FLOAT32,
            totalBytes: bytes.byteLength,
            sha256: digest,
          },
        },
        ...chunkBytes(bytes, 16).map((data) => ({ data })),
      ];
    }

    it('serves model.json pointing at model.weights.bin, and the weights, as the aggregator released them', async () => {
      aggregator.model = modelChunks(packFloat32(weights));
      const json = await request(gateway, '/v1/jobs/job-1/model', { token: await tokenFor('dr.ada') });
      expect(json.status).toBe(200);
      expect(json.body.weightsManifest[0].paths).toEqual(['model.weights.bin']);
      expect(converted[0].spec).toEqual(spec);
      expect(converted[0].inputDim).toBe(3);
      expect(Array.from(converted[0].weights)).toEqual(Array.from(weights));

      const bin = await request(gateway, '/v1/jobs/job-1/model.weights.bin');
      expect(bin.status).toBe(200);
      expect(bin.headers.get('content-type')).toBe('application/octet-stream');
      expect(bin.bytes.equals(packFloat32(weights))).toBe(true);
      // Each file is its own audited download, under the principal who asked.
      expect(aggregator.downloads).toEqual([
        { jobId: 'job-1', requestedBy: 'dr.ada' },
        { jobId: 'job-1', requestedBy: 'researcher' },
      ]);
    });

    it('refuses weights that do not match the digest in the header', async () => {
      aggregator.model = modelChunks(packFloat32(weights), new Uint8Array(32));
      const res = await request(gateway, '/v1/jobs/job-1/model');
      expect(res.status).toBe(502);
      expect(res.body.error.code).toBe('MODEL_INVALID');
      expect(converted).toHaveLength(0);
    });

    it('refuses a stream that ends before the announced bytes', async () => {
      aggregator.model = modelChunks(packFloat32(weights)).slice(0, 2);
      const res = await request(gateway, '/v1/jobs/job-1/model.weights.bin');
      expect(res.status).toBe(502);
      expect(res.body.error.code).toBe('MODEL_INVALID');
    });

    it('passes on a model that is not released yet as 409', async () => {
      aggregator.submitJob({ spec: undefined, submittedBy: 'researcher' });
      const res = await request(gateway, '/v1/jobs/job-1/model');
      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe('MODEL_NOT_RELEASED');
    });

    it('serves a model that tf.loadLayersModel loads with the released weights (real TensorFlow.js export)', async () => {
      const tf = await import('@tensorflow/tfjs');
      const real = await startGateway({
        aggregatorUrl: fake.url,
        port: 0,
        logLevel: 'silent',
        insecureTransport: true,
        auth: { mode: 'dev', keyDir: issuerDir },
      });
      try {
        aggregator.model = modelChunks(packFloat32(weights));
        const model = await tf.loadLayersModel(
          // Signed in as anyone would with TensorFlow.js: the bearer token rides on both requests.
          tf.io.http(`${real.url}/v1/jobs/job-1/model`, {
            fetchFunc: inRealmFetch,
            requestInit: { headers: { authorization: `Bearer ${defaultToken}` } },
          }),
        );
        try {
          const loaded = model.getWeights().flatMap((w) => Array.from(w.dataSync()));
          expect(loaded).toEqual(Array.from(weights));
          expect(model.inputs[0].shape).toEqual([null, 3]);
          const prediction = model.predict(tf.tensor2d([[1, 2, 3]])) as import('@tensorflow/tfjs').Tensor;
          const [p] = prediction.dataSync();
          expect(p).toBeGreaterThan(0);
          expect(p).toBeLessThan(1);
        } finally {
          model.dispose();
        }
      } finally {
        await real.close();
      }
    });
  });
});

describe('gateway without an aggregator', () => {
  it('answers 503 saying the aggregator is unreachable', async () => {
    const gateway = await startGateway({
      aggregatorUrl: `127.0.0.1:${await closedPort()}`,
      port: 0,
      logLevel: 'silent',
      insecureTransport: true,
      auth: { mode: 'dev', keyDir: issuerDir },
    });
    try {
      for (const path of ['/v1/jobs', '/v1/silos']) {
        const res = await request(gateway, path);
        expect(res.status).toBe(503);
        expect(res.body.error.code).toBe('AGGREGATOR_UNAVAILABLE');
        expect(res.body.error.message).toMatch(/aggregator is unreachable/);
      }
      // The gateway itself stays up.
      expect((await request(gateway, '/healthz')).status).toBe(200);
    } finally {
      await gateway.close();
    }
  });
});

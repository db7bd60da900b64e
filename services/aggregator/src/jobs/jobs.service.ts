import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { concat, defer, filter, from, mergeMap, Observable, of, ReplaySubject, takeWhile } from 'rxjs';
import type { Logger } from 'pino';
import type {
  CancelJobRequest,
  DownloadModelRequest,
  GetJobRequest,
  InviteSiloRequest,
  RevokeSiloRequest,
  SiloInfo,
  SiloInvitation,
  Job,
  JobEvent,
  ListJobsRequest,
  ListJobsResponse,
  ListSilosResponse,
  ModelChunk,
  SubmitJobRequest,
  WatchJobRequest,
} from '@cohort/protocol';
import { checkJobAgainstFederation, parseJobSpec } from '@cohort/jobs';
import { AggregatorErrorCode, AggregatorException } from '../common/aggregator.exception.js';
import { AuditTrail } from '../audit/audit-trail.service.js';
import { LOGGER } from '../common/logger.provider.js';
import { modelChunks } from '../federation/federation.service.js';
import { EnrolmentService } from '../federation/enrolment.service.js';
import { SiloRepository } from '../federation/silo.repository.js';
import { SiloSessions } from '../federation/silo-sessions.service.js';
import { JobRunner } from '../rounds/job-runner.service.js';
import { JobLeases } from '../leases/job-leases.service.js';
import { ModelRepository } from '../rounds/model.repository.js';
import { RoundRepository } from '../rounds/round.repository.js';
import { JobEvents } from './job-events.service.js';
import { JobRepository, TERMINAL_STATUSES, type JobRow } from './job.repository.js';
import { toJobMessage } from './job-view.js';
import { JobPrivacy } from '../privacy/job-privacy.js';

const MAX_PAGE = 100;

@Injectable()
export class JobsService {
  constructor(
    private readonly jobs: JobRepository,
    private readonly rounds: RoundRepository,
    private readonly models: ModelRepository,
    private readonly silos: SiloRepository,
    private readonly sessions: SiloSessions,
    private readonly runner: JobRunner,
    private readonly leases: JobLeases,
    private readonly events: JobEvents,
    private readonly enrolment: EnrolmentService,
    @Inject(LOGGER) private readonly log: Logger,
    private readonly audit: AuditTrail,
  ) {}

  /** The aggregator re-validates what the gateway validated: it is the one that acts on the spec. */
  async submit(request: SubmitJobRequest): Promise<Job> {
    const parsed = parseJobSpec(withoutNulls(request.spec));
    if (!parsed.ok) {
      throw new AggregatorException(
        AggregatorErrorCode.JOB_SPEC_INVALID,
        `the job spec is invalid: ${parsed.errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`,
        parsed.errors,
      );
    }
    const serving = this.sessions
      .connected()
      .filter((s) => s.datasetIds.includes(parsed.spec.dataset?.id ?? ''));
    const problems = checkJobAgainstFederation(parsed.spec, { connectedSilos: serving.length });
    if (problems.length > 0) {
      throw new AggregatorException(
        AggregatorErrorCode.JOB_SPEC_INVALID,
        `the job cannot run on this federation: ${problems.map((e) => `${e.field}: ${e.message}`).join('; ')}`,
        problems,
      );
    }
    const submittedBy = request.submittedBy || 'anonymous';
    const row = await this.jobs.insert(randomUUID(), parsed.spec, submittedBy);
    this.log.info({ jobId: row.id, submittedBy, name: parsed.spec.name }, 'job submitted');
    await this.audit.record(`user:${submittedBy}`, 'job.submitted', `job:${row.id}`, {
      jobId: row.id,
      name: parsed.spec.name,
      datasetId: parsed.spec.dataset?.id ?? '',
      rounds: parsed.spec.rounds,
      rule: parsed.spec.aggregation?.rule ?? 'fedavg',
      privacy: parsed.spec.privacy?.enabled
        ? {
            epsilon: parsed.spec.privacy.targetEpsilon,
            delta: parsed.spec.privacy.delta,
            level: parsed.spec.privacy.level,
            mode: parsed.spec.privacy.mode,
          }
        : 'none',
    });
    await this.leases.take(row.id);
    // Just inserted: no decision, round or silo row can exist yet, so the answer needs no further query.
    return toJobMessage(row, [], [], []);
  }

  async get(request: GetJobRequest): Promise<Job> {
    return this.view(await this.require(request.jobId));
  }

  async list(request: ListJobsRequest): Promise<ListJobsResponse> {
    const limit = Math.min(request.pageSize || 20, MAX_PAGE);
    const before = decodePageToken(request.pageToken);
    const rows = await this.jobs.list({
      submittedBy: request.submittedBy || undefined,
      limit: limit + 1,
      before,
    });
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      jobs: await Promise.all(page.map((r) => this.view(r))),
      nextPageToken: rows.length > limit && last ? encodePageToken(last) : '',
    };
  }

  async cancel(request: CancelJobRequest): Promise<Job> {
    const job = await this.require(request.jobId);
    if (TERMINAL_STATUSES.includes(job.status)) {
      throw new AggregatorException(
        AggregatorErrorCode.JOB_ALREADY_FINISHED,
        `job ${job.id} is already ${job.status}; only pending or running jobs can be cancelled`,
      );
    }
    const reason = request.reason || `cancelled by ${request.requestedBy || 'unknown'}`;
    await this.jobs.finish(job.id, 'cancelled', reason);
    await this.runner.stop(job.id);
    const participants = (await this.jobs.listDecisions(job.id)).filter((d) => d.accept).map((d) => d.siloId);
    this.runner.notifyCancelled(job.id, participants, reason);
    this.events.emit({ jobId: job.id, type: 'status', message: 'cancelled' });
    this.log.info({ jobId: job.id, by: request.requestedBy }, 'job cancelled');
    await this.audit.record(`user:${request.requestedBy || 'unknown'}`, 'job.cancelled', `job:${job.id}`, {
      jobId: job.id,
      reason,
    });
    return this.view(await this.require(job.id));
  }

  /**
   * The current state first, then every event until the job ends. Live events are buffered from before the
   * state is read, so nothing that happens between the two is lost.
   */
  watch(request: WatchJobRequest): Observable<JobEvent> {
    return new Observable<JobEvent>((subscriber) => {
      const buffered = new ReplaySubject<JobEvent>();
      const live = this.events
        .stream()
        .pipe(filter((e) => e.jobId === request.jobId))
        .subscribe(buffered);
      const stream = defer(() => from(this.require(request.jobId)))
        .pipe(
          mergeMap((row) => from(this.view(row))),
          mergeMap((job) => {
            const first = of<JobEvent>({
              jobId: job.jobId,
              type: 'status',
              round: job.currentRound,
              siloId: '',
              message: job.status,
              job,
              atUnixMs: Date.now(),
            });
            if (TERMINAL_STATUSES.includes(job.status as JobRow['status'])) return first;
            return concat(
              first,
              buffered.pipe(
                takeWhile(
                  (e) => !(e.type === 'status' && /^(completed|failed|cancelled)/.test(e.message)),
                  true,
                ),
              ),
            );
          }),
        )
        .subscribe(subscriber);
      return () => {
        live.unsubscribe();
        stream.unsubscribe();
      };
    });
  }

  async download(request: DownloadModelRequest): Promise<ModelChunk[]> {
    const job = await this.require(request.jobId);
    if (job.status !== 'completed') {
      throw new AggregatorException(
        AggregatorErrorCode.MODEL_NOT_RELEASED,
        `job ${job.id} is ${job.status}; a model is released only when the job has completed`,
      );
    }
    // A DP job may stop before its planned rounds, when another round would exceed its budget.
    const finalRound = await this.rounds.lastAggregatedRound(job.id);
    const model = await this.models.get(job.id, finalRound);
    if (!model)
      throw new AggregatorException(AggregatorErrorCode.INTERNAL, `job ${job.id} lost its final model`);
    this.log.info({ jobId: job.id, by: request.requestedBy }, 'model downloaded');
    await this.audit.record(`user:${request.requestedBy || 'unknown'}`, 'model.downloaded', `job:${job.id}`, {
      jobId: job.id,
      round: finalRound,
      modelSha256: Buffer.from(model.sha256).toString('hex'),
    });
    return modelChunks(
      job.id,
      finalRound,
      job.spec,
      model.weights,
      model.sha256,
      JobPrivacy.of(job.spec, job.privacyState)?.statement(),
    );
  }

  async listSilos(): Promise<ListSilosResponse> {
    return { silos: (await this.silos.list()).map((s) => this.enrolment.info(s)) };
  }

  inviteSilo(request: InviteSiloRequest): Promise<SiloInvitation> {
    return this.enrolment.invite(request.siloName, request.ttlSeconds, request.requestedBy);
  }

  revokeSilo(request: RevokeSiloRequest): Promise<SiloInfo> {
    return this.enrolment.revoke(request.siloName, request.requestedBy, request.reason);
  }

  private async require(jobId: string): Promise<JobRow> {
    const job = /^[0-9a-f-]{36}$/.test(jobId) ? await this.jobs.get(jobId) : undefined;
    if (!job) throw new AggregatorException(AggregatorErrorCode.JOB_NOT_FOUND, `job ${jobId} does not exist`);
    return job;
  }

  private async view(row: JobRow): Promise<Job> {
    const [decisions, rounds, silos] = await Promise.all([
      this.jobs.listDecisions(row.id),
      this.rounds.list(row.id),
      this.rounds.listSilos(row.id),
    ]);
    return toJobMessage(row, decisions, rounds, silos);
  }
}

/** proto-loader fills unset sub-messages with null; the spec schema reads absence as "use the default". */
function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (value && typeof value === 'object' && !(value instanceof Uint8Array)) {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== null && v !== undefined)
        .map(([k, v]) => [k, withoutNulls(v)]),
    );
  }
  return value;
}

function encodePageToken(row: JobRow): string {
  return Buffer.from(JSON.stringify([row.createdAt.toISOString(), row.id])).toString('base64url');
}

function decodePageToken(token: string): { createdAt: Date; id: string } | undefined {
  if (!token) return undefined;
  try {
    const [at, id] = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as [string, string];
    const createdAt = new Date(at);
    if (Number.isNaN(createdAt.getTime()) || typeof id !== 'string') throw new Error('bad token');
    return { createdAt, id };
  } catch {
    throw new AggregatorException(AggregatorErrorCode.JOB_SPEC_INVALID, 'the page token is not valid', [
      { field: 'pageToken', message: 'not a token returned by ListJobs' },
    ]);
  }
}

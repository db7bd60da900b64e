import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { ClientGrpc } from '@nestjs/microservices';
import {
  JOBS_SERVICE_NAME,
  type CancelJobRequest,
  type AuditEntry,
  type AuditVerification,
  type RecordAuditRequest,
  type DownloadModelRequest,
  type ExportAuditChunk,
  type ExportAuditRequest,
  type ListAuditRequest,
  type ListAuditResponse,
  type InviteSiloRequest,
  type JobEvent,
  type Job,
  type JobsServiceClient,
  type ListJobsRequest,
  type ListJobsResponse,
  type ListSilosResponse,
  type ModelChunk,
  type RevokeSiloRequest,
  type SiloInfo,
  type SiloInvitation,
  type SubmitJobRequest,
} from '@cohort/protocol';
import type { Client } from '@grpc/grpc-js';
import { catchError, firstValueFrom, throwError, timeout, type Observable } from 'rxjs';
import { GatewayErrorCode } from '../common/gateway.exception.js';
import { AGGREGATOR_GRPC_CLIENT, GATEWAY_CONFIG } from '../common/tokens.js';
import type { GatewayConfig } from '../config.js';
import { fromAggregatorError, type CallContext } from './grpc-error.js';

function jobNotFound(jobId: string): CallContext['notFound'] {
  return { code: GatewayErrorCode.JOB_NOT_FOUND, message: `job ${jobId} not found` };
}

function siloUnknown(siloName: string): CallContext['notFound'] {
  return {
    code: GatewayErrorCode.SILO_UNKNOWN,
    message: `no silo named ${siloName} is known to the aggregator`,
  };
}

/**
 * The aggregator's JobsService as promises: every call gets a deadline and every failure becomes a
 * GatewayException, so feature services never see gRPC.
 */
@Injectable()
export class JobsClient implements OnModuleInit {
  private jobs!: JobsServiceClient;

  constructor(
    @Inject(AGGREGATOR_GRPC_CLIENT) private readonly grpc: ClientGrpc,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  onModuleInit(): void {
    this.jobs = this.grpc.getService<JobsServiceClient>(JOBS_SERVICE_NAME);
  }

  /**
   * Resolves once the channel to the aggregator is connected (TLS handshake done), or rejects after
   * `timeoutMs`: readiness without asking the aggregator to do any work.
   */
  reachable(timeoutMs: number): Promise<void> {
    const client = this.grpc.getClientByServiceName<Client>(JOBS_SERVICE_NAME);
    return new Promise((resolve, reject) =>
      client.waitForReady(Date.now() + timeoutMs, (err) => (err ? reject(err) : resolve())),
    );
  }

  submitJob(request: SubmitJobRequest): Promise<Job> {
    return this.unary(this.jobs.submitJob(request), { action: 'submit the job' });
  }

  getJob(jobId: string): Promise<Job> {
    return this.unary(this.jobs.getJob({ jobId }), {
      action: `read job ${jobId}`,
      notFound: jobNotFound(jobId),
    });
  }

  listJobs(request: ListJobsRequest): Promise<ListJobsResponse> {
    return this.unary(this.jobs.listJobs(request), { action: 'list jobs' });
  }

  cancelJob(request: CancelJobRequest): Promise<Job> {
    return this.unary(this.jobs.cancelJob(request), {
      action: `cancel job ${request.jobId}`,
      notFound: jobNotFound(request.jobId),
    });
  }

  listSilos(): Promise<ListSilosResponse> {
    return this.unary(this.jobs.listSilos({}), { action: 'list silos' });
  }

  inviteSilo(request: InviteSiloRequest): Promise<SiloInvitation> {
    return this.unary(this.jobs.inviteSilo(request), { action: `invite silo ${request.siloName}` });
  }

  revokeSilo(request: RevokeSiloRequest): Promise<SiloInfo> {
    return this.unary(this.jobs.revokeSilo(request), {
      action: `revoke silo ${request.siloName}`,
      notFound: siloUnknown(request.siloName),
    });
  }

  listAudit(request: ListAuditRequest): Promise<ListAuditResponse> {
    return this.unary(this.jobs.listAudit(request), { action: 'list the audit trail' });
  }

  recordAudit(request: RecordAuditRequest): Promise<AuditEntry> {
    return this.unary(this.jobs.recordAudit(request), { action: 'record an audit entry' });
  }

  verifyAudit(requestedBy: string): Promise<AuditVerification> {
    return this.unary(this.jobs.verifyAudit({ requestedBy }), { action: 'verify the audit trail' });
  }

  /** The export as the aggregator streams it (JSON Lines or CSV text in chunks). */
  exportAudit(request: ExportAuditRequest): Observable<ExportAuditChunk> {
    const context: CallContext = {
      action: 'export the audit trail',
      timeoutMs: this.config.downloadIdleTimeoutMs,
    };
    return this.jobs.exportAudit(request).pipe(
      timeout({ each: context.timeoutMs }),
      catchError((err: unknown) => throwError(() => fromAggregatorError(err, context))),
    );
  }

  /** The job's events as the aggregator streams them, first its current state; no idle limit (rounds take long). */
  watchJob(jobId: string): Observable<JobEvent> {
    const context: CallContext = {
      action: `watch job ${jobId}`,
      notFound: jobNotFound(jobId),
      timeoutMs: this.config.requestTimeoutMs,
    };
    return this.jobs
      .watchJob({ jobId })
      .pipe(catchError((err: unknown) => throwError(() => fromAggregatorError(err, context))));
  }

  /** The model as the aggregator streams it; a silence longer than the idle timeout ends it with a 504. */
  downloadModel(request: DownloadModelRequest): Observable<ModelChunk> {
    const context: CallContext = {
      action: `download the model of job ${request.jobId}`,
      notFound: jobNotFound(request.jobId),
      timeoutMs: this.config.downloadIdleTimeoutMs,
    };
    return this.jobs.downloadModel(request).pipe(
      timeout({ each: context.timeoutMs }),
      catchError((err: unknown) => throwError(() => fromAggregatorError(err, context))),
    );
  }

  private unary<T>(call: Observable<T>, context: Omit<CallContext, 'timeoutMs'>): Promise<T> {
    const full: CallContext = { ...context, timeoutMs: this.config.requestTimeoutMs };
    // Unsubscribing on timeout cancels the underlying gRPC call, so a slow aggregator is not left working for nobody.
    return firstValueFrom(
      call.pipe(
        timeout({ first: full.timeoutMs }),
        catchError((err: unknown) => throwError(() => fromAggregatorError(err, full))),
      ),
    );
  }
}

import { Controller } from '@nestjs/common';
import type { Metadata } from '@grpc/grpc-js';
import { defer, from, map, mergeMap, type Observable } from 'rxjs';
import { AuditService } from '../audit/audit.service.js';
import {
  JobsServiceControllerMethods,
  type AuditEntry,
  type AuditVerification,
  type ExportAuditChunk,
  type ExportAuditRequest,
  type ListAuditRequest,
  type ListAuditResponse,
  type RecordAuditRequest,
  type VerifyAuditRequest,
  type CancelJobRequest,
  type DownloadModelRequest,
  type GetJobRequest,
  type InviteSiloRequest,
  type Job,
  type JobEvent,
  type JobsServiceController,
  type ListJobsRequest,
  type ListJobsResponse,
  type ListSilosRequest,
  type ListSilosResponse,
  type ModelChunk,
  type RevokeSiloRequest,
  type SiloInfo,
  type SiloInvitation,
  type SubmitJobRequest,
  type WatchJobRequest,
} from '@cohort/protocol';
import { GatewayGuard } from '../trust/gateway-guard.js';
import type { CallLike } from '../trust/peer.js';
import { JobsService } from './jobs.service.js';

// Only the gateway (by its client certificate) may call these: researchers reach them through its REST API.
@Controller()
@JobsServiceControllerMethods()
export class JobsController implements JobsServiceController {
  constructor(
    private readonly jobs: JobsService,
    private readonly gateway: GatewayGuard,
    private readonly audit: AuditService,
  ) {}

  submitJob(request: SubmitJobRequest, _m?: Metadata, call?: CallLike): Promise<Job> {
    return this.gateway.run(call, () => this.jobs.submit(request));
  }

  getJob(request: GetJobRequest, _m?: Metadata, call?: CallLike): Promise<Job> {
    return this.gateway.run(call, () => this.jobs.get(request));
  }

  listJobs(request: ListJobsRequest, _m?: Metadata, call?: CallLike): Promise<ListJobsResponse> {
    return this.gateway.run(call, () => this.jobs.list(request));
  }

  cancelJob(request: CancelJobRequest, _m?: Metadata, call?: CallLike): Promise<Job> {
    return this.gateway.run(call, () => this.jobs.cancel(request));
  }

  watchJob(request: WatchJobRequest, _m?: Metadata, call?: CallLike): Observable<JobEvent> {
    return defer(() => from(this.gateway.run(call, () => Promise.resolve(this.jobs.watch(request))))).pipe(
      mergeMap((e) => e),
    );
  }

  downloadModel(request: DownloadModelRequest, _m?: Metadata, call?: CallLike): Observable<ModelChunk> {
    return from(this.gateway.run(call, () => this.jobs.download(request))).pipe(mergeMap((chunks) => chunks));
  }

  listSilos(_request: ListSilosRequest, _m?: Metadata, call?: CallLike): Promise<ListSilosResponse> {
    return this.gateway.run(call, () => this.jobs.listSilos());
  }

  inviteSilo(request: InviteSiloRequest, _m?: Metadata, call?: CallLike): Promise<SiloInvitation> {
    return this.gateway.run(call, () => this.jobs.inviteSilo(request));
  }

  revokeSilo(request: RevokeSiloRequest, _m?: Metadata, call?: CallLike): Promise<SiloInfo> {
    return this.gateway.run(call, () => this.jobs.revokeSilo(request));
  }

  listAudit(request: ListAuditRequest, _m?: Metadata, call?: CallLike): Promise<ListAuditResponse> {
    return this.gateway.run(call, () => this.audit.list(request));
  }

  exportAudit(request: ExportAuditRequest, _m?: Metadata, call?: CallLike): Observable<ExportAuditChunk> {
    return from(this.gateway.run(call, () => Promise.resolve(this.audit.export(request)))).pipe(
      mergeMap((lines) => from(lines)),
      map((line) => ({ data: Buffer.from(line, 'utf8') })),
    );
  }

  verifyAudit(_request: VerifyAuditRequest, _m?: Metadata, call?: CallLike): Promise<AuditVerification> {
    return this.gateway.run(call, () => this.audit.verify());
  }

  recordAudit(request: RecordAuditRequest, _m?: Metadata, call?: CallLike): Promise<AuditEntry> {
    return this.gateway.run(call, () => this.audit.record(request));
  }
}

import { Controller } from '@nestjs/common';
import { from, mergeMap, type Observable } from 'rxjs';
import {
  JobsServiceControllerMethods,
  type CancelJobRequest,
  type DownloadModelRequest,
  type GetJobRequest,
  type Job,
  type JobEvent,
  type JobsServiceController,
  type ListJobsRequest,
  type ListJobsResponse,
  type ListSilosRequest,
  type ListSilosResponse,
  type ModelChunk,
  type SubmitJobRequest,
  type WatchJobRequest,
} from '@cohort/protocol';
import { JobsService } from './jobs.service.js';

@Controller()
@JobsServiceControllerMethods()
export class JobsController implements JobsServiceController {
  constructor(private readonly jobs: JobsService) {}

  submitJob(request: SubmitJobRequest): Promise<Job> {
    return this.jobs.submit(request);
  }

  getJob(request: GetJobRequest): Promise<Job> {
    return this.jobs.get(request);
  }

  listJobs(request: ListJobsRequest): Promise<ListJobsResponse> {
    return this.jobs.list(request);
  }

  cancelJob(request: CancelJobRequest): Promise<Job> {
    return this.jobs.cancel(request);
  }

  watchJob(request: WatchJobRequest): Observable<JobEvent> {
    return this.jobs.watch(request);
  }

  downloadModel(request: DownloadModelRequest): Observable<ModelChunk> {
    return from(this.jobs.download(request)).pipe(mergeMap((chunks) => chunks));
  }

  listSilos(_request: ListSilosRequest): Promise<ListSilosResponse> {
    return this.jobs.listSilos();
  }
}

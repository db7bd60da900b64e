import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import {
  Controller,
  Get,
  HttpCode,
  HttpStatus,
  Param,
  Post,
  Query,
  Sse,
  type MessageEvent,
} from '@nestjs/common';
import type { Observable } from 'rxjs';
import type { Principal as SignedIn } from '@cohort/auth';
import { RequirePermission } from '../auth/auth.decorators.js';
import { JsonBody } from '../common/json-body.decorator.js';
import { CurrentPrincipal, Principal } from '../common/principal.decorator.js';
import { JobService } from './job.service.js';
import type { JobListView, JobView } from './job-view.js';
import { JobIdPipe } from './job-id.pipe.js';

@ApiTags('jobs')
@ApiBearerAuth()
@Controller({ path: 'jobs', version: '1' })
export class JobController {
  constructor(private readonly jobs: JobService) {}

  @Post()
  @RequirePermission('job.submit')
  submit(@JsonBody() body: unknown, @Principal() principal: string): Promise<JobView> {
    return this.jobs.submit(body, principal);
  }

  @Get()
  @RequirePermission('job.read.own', 'job.read.any')
  list(@Query() query: unknown, @CurrentPrincipal() principal: SignedIn): Promise<JobListView> {
    return this.jobs.list(query, principal);
  }

  @Get(':id')
  @RequirePermission('job.read.own', 'job.read.any')
  get(@Param('id', JobIdPipe) jobId: string, @CurrentPrincipal() principal: SignedIn): Promise<JobView> {
    return this.jobs.get(jobId, principal);
  }

  /** Server-Sent Events: `status`, `round_started`, `update_accepted`, `round_completed` … (see JobEventView). */
  @Sse(':id/events')
  @RequirePermission('job.read.own', 'job.read.any')
  events(
    @Param('id', JobIdPipe) jobId: string,
    @CurrentPrincipal() principal: SignedIn,
  ): Promise<Observable<MessageEvent>> {
    return this.jobs.events(jobId, principal);
  }

  @Post(':id/cancel')
  @HttpCode(HttpStatus.OK)
  @RequirePermission('job.cancel.own', 'job.cancel.any')
  cancel(
    @Param('id', JobIdPipe) jobId: string,
    @JsonBody({ optional: true }) body: unknown,
    @CurrentPrincipal() principal: SignedIn,
  ): Promise<JobView> {
    return this.jobs.cancel(jobId, body, principal);
  }
}

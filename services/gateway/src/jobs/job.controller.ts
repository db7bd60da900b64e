import { Controller, Get, HttpCode, HttpStatus, Param, Post, Query } from '@nestjs/common';
import { JsonBody } from '../common/json-body.decorator.js';
import { Principal } from '../common/principal.decorator.js';
import { JobService } from './job.service.js';
import type { JobListView, JobView } from './job-view.js';

@Controller({ path: 'jobs', version: '1' })
export class JobController {
  constructor(private readonly jobs: JobService) {}

  @Post()
  submit(@JsonBody() body: unknown, @Principal() principal: string): Promise<JobView> {
    return this.jobs.submit(body, principal);
  }

  @Get()
  list(@Query() query: unknown): Promise<JobListView> {
    return this.jobs.list(query);
  }

  @Get(':id')
  get(@Param('id') jobId: string): Promise<JobView> {
    return this.jobs.get(jobId);
  }

  @Post(':id/cancel')
  @HttpCode(HttpStatus.OK)
  cancel(
    @Param('id') jobId: string,
    @JsonBody({ optional: true }) body: unknown,
    @Principal() principal: string,
  ): Promise<JobView> {
    return this.jobs.cancel(jobId, body, principal);
  }
}

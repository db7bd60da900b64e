import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Controller, Get, Header, Param, type StreamableFile } from '@nestjs/common';
import type { Principal as SignedIn } from '@cohort/auth';
import { RequirePermission } from '../auth/auth.decorators.js';
import { CurrentPrincipal } from '../common/principal.decorator.js';
import { ModelService } from './model.service.js';
import { JobIdPipe } from '../jobs/job-id.pipe.js';

/** The released model of a job in the TensorFlow.js layers format: tf.loadLayersModel('<gateway>/v1/jobs/ID/model'). */
@ApiTags('jobs')
@ApiBearerAuth()
@Controller({ path: 'jobs', version: '1' })
@RequirePermission('model.download.own', 'model.download.any')
export class ModelController {
  constructor(private readonly models: ModelService) {}

  @Get(':id/model')
  @Header('Cache-Control', 'no-store')
  modelJson(@Param('id', JobIdPipe) jobId: string, @CurrentPrincipal() principal: SignedIn): Promise<object> {
    return this.models.modelJson(jobId, principal);
  }

  @Get(':id/model.weights.bin')
  @Header('Cache-Control', 'no-store')
  weights(
    @Param('id', JobIdPipe) jobId: string,
    @CurrentPrincipal() principal: SignedIn,
  ): Promise<StreamableFile> {
    return this.models.weights(jobId, principal);
  }
}

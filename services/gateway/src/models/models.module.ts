import { Module, type DynamicModule } from '@nestjs/common';
import { AggregatorModule } from '../aggregator/aggregator.module.js';
import { MODEL_ARTIFACTS_CONVERTER, type ModelArtifactsConverter } from './model-artifacts.converter.js';
import { ModelController } from './model.controller.js';
import { ModelService } from './model.service.js';

@Module({})
export class ModelsModule {
  static register(converter: ModelArtifactsConverter): DynamicModule {
    return {
      module: ModelsModule,
      imports: [AggregatorModule],
      controllers: [ModelController],
      providers: [ModelService, { provide: MODEL_ARTIFACTS_CONVERTER, useValue: converter }],
    };
  }
}

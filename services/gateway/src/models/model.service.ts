import { Inject, Injectable, StreamableFile } from '@nestjs/common';
import { ownsOrCan, type Principal } from '@cohort/auth';
import type { Logger } from 'pino';
import { lastValueFrom, tap } from 'rxjs';
import { JobsClient } from '../aggregator/jobs.client.js';
import { GatewayErrorCode, GatewayException } from '../common/gateway.exception.js';
import { GATEWAY_CONFIG, LOGGER } from '../common/tokens.js';
import type { GatewayConfig } from '../config.js';
import { ModelAssembler, type AssembledModel } from './model-assembler.js';
import {
  MODEL_ARTIFACTS_CONVERTER,
  type LayersModelArtifacts,
  type ModelArtifactsConverter,
} from './model-artifacts.converter.js';

/**
 * The weights file named in model.json, relative to the model.json URL: tf.loadLayersModel('…/jobs/ID/model')
 * then fetches '…/jobs/ID/model.weights.bin', which the controller serves.
 */
export const WEIGHTS_FILE_NAME = 'model.weights.bin';

interface WeightsGroup {
  paths?: unknown;
}

@Injectable()
export class ModelService {
  constructor(
    private readonly jobs: JobsClient,
    @Inject(MODEL_ARTIFACTS_CONVERTER) private readonly converter: ModelArtifactsConverter,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  async modelJson(jobId: string, principal: Principal): Promise<object> {
    return (await this.artifacts(jobId, principal)).modelJson;
  }

  async weights(jobId: string, principal: Principal): Promise<StreamableFile> {
    const { weightsBin } = await this.artifacts(jobId, principal);
    return new StreamableFile(weightsBin, {
      type: 'application/octet-stream',
      length: weightsBin.byteLength,
    });
  }

  /**
   * Both files come from a fresh DownloadModel call: the aggregator audits every download under the principal who
   * asked, which a gateway-side cache would bypass for the weights.
   */
  private async artifacts(jobId: string, principal: Principal): Promise<LayersModelArtifacts> {
    const job = await this.jobs.getJob(jobId);
    // Another researcher's job is not found, as for reading it; a model is released to its owner (or an admin).
    if (!ownsOrCan(principal, job.submittedBy, 'model.download.own', 'model.download.any')) {
      throw new GatewayException(GatewayErrorCode.JOB_NOT_FOUND, `job ${jobId} not found`);
    }
    const model = await this.download(jobId, principal.subject);
    let artifacts: LayersModelArtifacts;
    try {
      artifacts = await this.converter.toLayersModelArtifacts(model.spec, model.inputDim, model.weights);
    } catch (err) {
      if (err instanceof GatewayException) throw err;
      this.log.warn({ err, jobId, round: model.round }, 'model conversion failed');
      throw new GatewayException(
        GatewayErrorCode.MODEL_INVALID,
        `the model of job ${jobId} could not be converted to the TensorFlow.js format: ${(err as Error).message}`,
      );
    }
    const modelJson = pointAtWeightsFile(artifacts.modelJson);
    // The model carries its privacy statement (TF.js keeps userDefinedMetadata through load and save).
    const withPrivacy = model.privacy
      ? { ...modelJson, userDefinedMetadata: { cohortPrivacyStatement: model.privacy } }
      : modelJson;
    return { modelJson: withPrivacy, weightsBin: artifacts.weightsBin };
  }

  private async download(jobId: string, principal: string): Promise<AssembledModel> {
    const assembler = new ModelAssembler(this.config.maxModelBytes);
    // A chunk the assembler refuses throws inside tap, which unsubscribes and so cancels the stream.
    await lastValueFrom(
      this.jobs.downloadModel({ jobId, requestedBy: principal }).pipe(tap((c) => assembler.add(c))),
      {
        defaultValue: undefined,
      },
    );
    const model = assembler.finish();
    this.log.info({ jobId, round: model.round, sha256: model.sha256Hex, principal }, 'model downloaded');
    return model;
  }
}

/** Rewrites the single weights group to the file name the gateway serves, whatever the converter called it. */
function pointAtWeightsFile(modelJson: object): object {
  const manifest = (modelJson as { weightsManifest?: unknown }).weightsManifest;
  if (
    !Array.isArray(manifest) ||
    manifest.length !== 1 ||
    typeof manifest[0] !== 'object' ||
    manifest[0] === null
  ) {
    throw new GatewayException(
      GatewayErrorCode.INTERNAL,
      'the converted model.json does not have one weights group',
    );
  }
  const group = manifest[0] as WeightsGroup;
  return { ...modelJson, weightsManifest: [{ ...group, paths: [WEIGHTS_FILE_NAME] }] };
}

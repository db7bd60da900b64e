import type { ModelSpec } from '@cohort/protocol';
import { GatewayErrorCode, GatewayException } from '../common/gateway.exception.js';

/** A model in the TensorFlow.js layers format: model.json (topology + weightsManifest) and its one weights file. */
export interface LayersModelArtifacts {
  modelJson: object;
  weightsBin: Buffer;
}

/** Flat packed weights → TensorFlow.js artifacts: `toLayersModelArtifacts` of @cohort/training, or a test double. */
export interface ModelArtifactsConverter {
  toLayersModelArtifacts(
    spec: ModelSpec,
    inputDim: number,
    weights: Float32Array,
  ): Promise<LayersModelArtifacts>;
}

export const MODEL_ARTIFACTS_CONVERTER = Symbol('MODEL_ARTIFACTS_CONVERTER');

/**
 * The training library's exporter, loaded on the first download: TensorFlow.js is slow to load and most gateway
 * requests never need it. The gateway carries no TensorFlow.js code of its own.
 */
export const trainingLibraryConverter: ModelArtifactsConverter = {
  async toLayersModelArtifacts(spec, inputDim, weights) {
    let training: typeof import('@cohort/training');
    try {
      training = await import('@cohort/training');
    } catch (err) {
      throw new GatewayException(
        GatewayErrorCode.MODEL_EXPORT_UNAVAILABLE,
        `exporting models in the TensorFlow.js format is unavailable: ${(err as Error).message}`,
      );
    }
    return training.toLayersModelArtifacts(spec, inputDim, weights);
  },
};

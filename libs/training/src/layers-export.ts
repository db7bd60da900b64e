import type { ModelSpec } from '@cohort/protocol';
import * as tf from '@tensorflow/tfjs';
import { withModel } from './model-cache.js';
import { setFlatWeights } from './tf-model.js';

/** The weights file model.json points at; serve it from the same folder. */
export const LAYERS_WEIGHTS_FILE = 'model.weights.bin';

export interface LayersModelArtifacts {
  /** model.json: `tf.loadLayersModel(url)` reads it and fetches `LAYERS_WEIGHTS_FILE` next to it. */
  modelJson: tf.io.ModelJSON;
  weightsBin: Buffer;
}

/** The released model in TensorFlow.js layers format, written by TensorFlow.js itself so loaders accept it. */
export async function toLayersModelArtifacts(
  spec: ModelSpec,
  inputDim: number,
  weights: Float32Array,
): Promise<LayersModelArtifacts> {
  return withModel(spec, inputDim, async ({ model }) => {
    setFlatWeights(model, weights, 'model to export');
    let saved: tf.io.ModelArtifacts | undefined;
    await model.save(
      tf.io.withSaveHandler((artifacts) => {
        saved = artifacts;
        return Promise.resolve({ modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) });
      }),
    );
    if (!saved?.modelTopology || !saved.weightSpecs || saved.weightData === undefined) {
      throw new Error('TensorFlow.js saved no topology or weights for the model');
    }
    return {
      modelJson: {
        format: 'layers-model',
        generatedBy: saved.generatedBy,
        convertedBy: null,
        modelTopology: saved.modelTopology,
        weightsManifest: [{ paths: [LAYERS_WEIGHTS_FILE], weights: saved.weightSpecs }],
      },
      weightsBin: Buffer.from(tf.io.CompositeArrayBuffer.join(saved.weightData)),
    };
  });
}

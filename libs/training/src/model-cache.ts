// Building a LayersModel costs far more than a round of local training on a small silo, so models are kept per
// (architecture, input width). Each cached model is a shared mutable object: every use goes through its queue.
import { hiddenUnitsOf, modelArchitecture, type DenseLayer } from '@cohort/model';
import type { ModelSpec } from '@cohort/protocol';
import type * as tf from '@tensorflow/tfjs';
import { initTensorflow } from './backend.js';
import { buildTfModel } from './tf-model.js';

export interface CachedModel {
  model: tf.Sequential;
  layers: DenseLayer[];
  /** The trainable variables in layout order, for optimisers. */
  variables: tf.Variable[];
}

interface Entry extends CachedModel {
  queue: Promise<void>;
  /** Uses queued or running: a use that waited behind another hands the event loop back before it starts. */
  waiting: number;
}

/** A few jobs with different models may run in one silo process at once; more than this are rebuilt on demand. */
const MAX_CACHED_MODELS = 8;

const cache = new Map<string, Entry>();

function keyOf(spec: ModelSpec, inputDim: number): string {
  return `${spec.template}[${hiddenUnitsOf(spec).join(',')}]x${inputDim}`;
}

/** Runs `work` with exclusive use of the cached model for (spec, inputDim), building it on first use. */
export async function withModel<T>(
  spec: ModelSpec,
  inputDim: number,
  work: (cached: CachedModel) => T | Promise<T>,
): Promise<T> {
  await initTensorflow();
  const key = keyOf(spec, inputDim);
  let entry = cache.get(key);
  if (entry) {
    // Re-inserting keeps the map in least-recently-used order.
    cache.delete(key);
  } else {
    const model = buildTfModel(spec, inputDim);
    // read() hands out the underlying tf.Variable of each LayerVariable.
    const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
    entry = {
      model,
      layers: modelArchitecture(spec, inputDim),
      variables,
      queue: Promise.resolve(),
      waiting: 0,
    };
  }
  cache.set(key, entry);
  evictBeyond(MAX_CACHED_MODELS);
  const current = entry;
  // Queued uses would otherwise follow each other as one chain of microtasks, and no socket would be served
  // until the queue ran dry: many silos in one process (cohort simulate) could not send a finished update while
  // the next one trains.
  const queued = current.waiting > 0;
  current.waiting++;
  const run = current.queue.then(async () => {
    if (queued) await new Promise<void>((resolve) => setImmediate(resolve));
    return work(current);
  });
  const settled = (): void => {
    current.waiting--;
  };
  current.queue = run.then(settled, settled);
  return run;
}

function evictBeyond(limit: number): void {
  for (const [key, entry] of cache) {
    if (cache.size <= limit) return;
    cache.delete(key);
    // Work already queued on this model still runs; disposal waits for it.
    entry.queue = entry.queue.then(() => {
      entry.model.dispose();
    });
  }
}

/** Disposes every cached model once its queued work is done (for shutdown and tests). */
export async function clearModelCache(): Promise<void> {
  const entries = [...cache.values()];
  cache.clear();
  await Promise.all(
    entries.map((e) =>
      e.queue.then(() => {
        e.model.dispose();
      }),
    ),
  );
}

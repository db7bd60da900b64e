// Chooses the TensorFlow.js backend once per process: native TensorFlow when the optional binding loads,
// otherwise WebAssembly, otherwise plain JavaScript.
import { readEnvironment } from '@cohort/config';
import * as tf from '@tensorflow/tfjs';
// Registers the 'wasm' backend; it initialises only when selected.
import '@tensorflow/tfjs-backend-wasm';

export type TfBackendPreference = 'node' | 'wasm' | 'cpu';

export interface TensorflowInfo {
  /** The active TensorFlow.js backend name: 'tensorflow' (native), 'wasm' or 'cpu'. */
  backend: string;
  /** Backends tried before it, with the reason each was passed over, so a service can log a silent fallback. */
  skipped: { backend: TfBackendPreference; reason: string }[];
}

const FALLBACK_ORDER: readonly TfBackendPreference[] = ['node', 'wasm', 'cpu'];

// A variable, so TypeScript does not try to resolve an optional dependency that may be absent.
const TFJS_NODE_PACKAGE = '@tensorflow/tfjs-node';

let active: { preference: TfBackendPreference; ready: Promise<TensorflowInfo> } | undefined;

/**
 * Initialises TensorFlow.js with `preferred` (default: COHORT_TF_BACKEND, else 'node') or the next backend that
 * works after it in node → wasm → cpu. Idempotent: concurrent and later calls share the first initialisation;
 * only an explicit different preference switches the backend.
 */
export function initTensorflow(preferred?: TfBackendPreference): Promise<TensorflowInfo> {
  if (active && (preferred === undefined || preferred === active.preference)) return active.ready;
  const preference = preferred ?? readEnvironment().tfBackend ?? 'node';
  const ready = selectBackend(preference);
  active = { preference, ready };
  ready.catch(() => {
    // Let the next call try again rather than replaying a failure forever.
    if (active?.ready === ready) active = undefined;
  });
  return ready;
}

async function selectBackend(preference: TfBackendPreference): Promise<TensorflowInfo> {
  // Production mode silences TensorFlow.js's console warnings and skips debug-only checks.
  tf.enableProdMode();
  const skipped: TensorflowInfo['skipped'] = [];
  for (const candidate of FALLBACK_ORDER.slice(FALLBACK_ORDER.indexOf(preference))) {
    const reason = await tryBackend(candidate);
    if (reason === undefined) {
      await tf.ready();
      return { backend: tf.getBackend(), skipped };
    }
    skipped.push({ backend: candidate, reason });
  }
  throw new Error(
    `no TensorFlow.js backend could be initialised: ${skipped.map((s) => `${s.backend}: ${s.reason}`).join('; ')}`,
  );
}

/** Returns undefined when `candidate` is now the active backend, else why not. */
async function tryBackend(candidate: TfBackendPreference): Promise<string | undefined> {
  if (candidate === 'node') {
    try {
      await import(TFJS_NODE_PACKAGE);
    } catch (error) {
      return `${TFJS_NODE_PACKAGE} cannot be loaded (${error instanceof Error ? error.message : String(error)})`;
    }
    if (!tf.findBackendFactory('tensorflow')) {
      return `${TFJS_NODE_PACKAGE} loaded but registered no backend with this copy of @tensorflow/tfjs-core`;
    }
  }
  const name = candidate === 'node' ? 'tensorflow' : candidate;
  try {
    if (await tf.setBackend(name)) return undefined;
    return `backend '${name}' failed to initialise`;
  } catch (error) {
    return `backend '${name}' failed to initialise (${error instanceof Error ? error.message : String(error)})`;
  }
}

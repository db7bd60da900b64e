// The training thread's side (training-thread.ts): runs each request in place and sends the result back, its
// arrays transferred rather than copied.
import { parentPort } from 'node:worker_threads';
import { evaluateModel } from './evaluate.js';
import { trainLocal } from './local-train.js';
import type { ThreadReply, ThreadRequest } from './training-thread.js';

const port = parentPort;
if (!port) throw new Error('training-thread.worker runs as a worker thread only');

/** The distinct buffers behind `arrays`, to move rather than copy (each is the result's own). */
function transferable(...arrays: Float32Array[]): ArrayBuffer[] {
  return [...new Set(arrays.map((a) => a.buffer))].filter((b): b is ArrayBuffer => b instanceof ArrayBuffer);
}

async function handle(r: ThreadRequest): Promise<void> {
  try {
    if (r.op === 'train') {
      const result = await trainLocal(r.spec, r.inputDim, r.weights, r.data, r.options);
      port?.postMessage(
        { id: r.id, ok: true, result } satisfies ThreadReply,
        transferable(result.weights, result.delta),
      );
    } else {
      const result = await evaluateModel(r.spec, r.inputDim, r.weights, r.data);
      port?.postMessage(
        { id: r.id, ok: true, result } satisfies ThreadReply,
        transferable(result.scores, result.labels),
      );
    }
  } catch (err) {
    const e = err as Error & { code?: string };
    port?.postMessage({
      id: r.id,
      ok: false,
      error: { name: e.name, code: e.code, message: e.message },
    } satisfies ThreadReply);
  }
}

port.on('message', (r: ThreadRequest) => {
  void handle(r);
});

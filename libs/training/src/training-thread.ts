// Local training and evaluation on a thread of their own, for a process that holds many silos (cohort simulate):
// the silos' protocol work (TLS, gRPC, sealing, hashing) then runs on the main thread beside one silo's training
// at a time, as it runs beside training on a hospital's own machine. Training stays one at a time on that thread,
// so each silo's trainMs is still its own wall-clock time. Off by default: a silo agent alone in its process
// trains in place.
import { Worker } from 'node:worker_threads';
import { ModelError, type ModelErrorCode } from '@cohort/model';
import type { ModelSpec } from '@cohort/protocol';
import type { LabelledData } from './data.js';
import { TrainingError, type TrainingErrorCode } from './errors.js';

export interface TrainRequest {
  op: 'train';
  spec: ModelSpec;
  inputDim: number;
  weights: Float32Array;
  data: LabelledData;
  options: { epochs: number; batchSize: number; learningRate: number; seed: number };
}

export interface EvaluateRequest {
  op: 'evaluate';
  spec: ModelSpec;
  inputDim: number;
  weights: Float32Array;
  data: LabelledData;
}

export type ThreadRequest = (TrainRequest | EvaluateRequest) & { id: number };

export type ThreadReply =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: { name: string; code?: string; message: string } };

/** A failure on the thread, as the caller would have seen it in place (same class and code). */
function rebuild(error: { name: string; code?: string; message: string }): Error {
  if (error.name === 'TrainingError')
    return new TrainingError(error.code as TrainingErrorCode, error.message);
  if (error.name === 'ModelError') return new ModelError(error.code as ModelErrorCode, error.message);
  return new Error(error.message);
}

interface Queued {
  request: TrainRequest | EvaluateRequest;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

class TrainingThread {
  private nextId = 1;
  /** The request on the thread now; the others wait here, so the next one can be chosen. */
  private running: (Queued & { id: number }) | undefined;
  private readonly queue: Queued[] = [];
  /** Time each kind of request held the thread, from hand-over to answer, summed. */
  readonly busyMs = { train: 0, evaluate: 0 };
  private startedAt = 0;

  constructor(readonly worker: Worker) {
    worker.on('message', (reply: ThreadReply) => {
      const done = this.running;
      if (!done || done.id !== reply.id) return;
      this.running = undefined;
      this.busyMs[done.request.op] += performance.now() - this.startedAt;
      if (reply.ok) done.resolve(reply.result);
      else done.reject(rebuild(reply.error));
      this.pump();
    });
    const failAll = (err: Error): void => {
      for (const w of [...(this.running ? [this.running] : []), ...this.queue.splice(0)]) w.reject(err);
      this.running = undefined;
      if (current === this) current = undefined;
    };
    worker.on('error', failAll);
    worker.on('exit', (code) => failAll(new Error(`the training thread exited (${code})`)));
  }

  call<T>(request: TrainRequest | EvaluateRequest): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ request, resolve: resolve as (v: unknown) => void, reject });
      this.pump();
    });
  }

  /**
   * One request at a time, training before evaluation: a round waits for every silo's update, not for the
   * held-out metrics of the round before (the aggregator collects those while the round trains).
   */
  private pump(): void {
    if (this.running || this.queue.length === 0) return;
    const train = this.queue.findIndex((q) => q.request.op === 'train');
    const [next] = this.queue.splice(train >= 0 ? train : 0, 1);
    this.running = { ...next, id: this.nextId++ };
    this.startedAt = performance.now();
    // Copies of the weights and data go over (structured clone): the caller keeps and may share its own.
    this.worker.postMessage({ ...next.request, id: this.running.id } satisfies ThreadRequest);
  }
}

let current: TrainingThread | undefined;

/** The thread trainLocal and evaluateModel hand their work to, when one was started in this process. */
export function trainingThread(): TrainingThread | undefined {
  return current;
}

/** How long training and evaluation have held this process's training thread so far (zeros without one). */
export function trainingThreadBusyMs(): { train: number; evaluate: number } {
  return { ...(current?.busyMs ?? { train: 0, evaluate: 0 }) };
}

/** From now on this process's trainLocal and evaluateModel run on one thread of their own. Idempotent. */
export async function startTrainingThread(): Promise<void> {
  if (current) return;
  const worker = new Worker(new URL('./training-thread.worker.js', import.meta.url));
  await new Promise<void>((resolve, reject) => {
    worker.once('online', () => resolve());
    worker.once('error', reject);
  });
  current = new TrainingThread(worker);
}

/** Back to training in place; work already handed over finishes first. */
export async function stopTrainingThread(): Promise<void> {
  const thread = current;
  current = undefined;
  if (thread) await thread.worker.terminate();
}

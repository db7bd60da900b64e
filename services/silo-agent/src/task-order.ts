import { TaskKind } from '@cohort/protocol';

/**
 * Which queued task runs next: the first, except that a train task goes before the evaluations queued ahead of it.
 * The next round waits for this silo's update, not for its held-out metrics of the previous round (the aggregator
 * collects those while the round trains, and both use the same model). Any other kind keeps its place: a job's
 * end or cancellation never overtakes its evaluations.
 */
export function nextTaskIndex(queued: readonly { kind: TaskKind }[]): number {
  let i = 0;
  while (i < queued.length && queued[i].kind === TaskKind.TASK_KIND_EVALUATE) i++;
  return i < queued.length && queued[i].kind === TaskKind.TASK_KIND_TRAIN ? i : 0;
}

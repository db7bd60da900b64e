import { TaskKind } from '@cohort/protocol';
import { nextTaskIndex } from './task-order.js';

const { TASK_KIND_EVALUATE: EVALUATE, TASK_KIND_TRAIN: TRAIN, TASK_KIND_FINISHED: FINISHED } = TaskKind;
const queue = (...kinds: TaskKind[]): { kind: TaskKind }[] => kinds.map((kind) => ({ kind }));

describe('nextTaskIndex', () => {
  it('takes a train task before the evaluations queued ahead of it', () => {
    expect(nextTaskIndex(queue(EVALUATE, TRAIN))).toBe(1);
    expect(nextTaskIndex(queue(EVALUATE, EVALUATE, TRAIN, EVALUATE))).toBe(2);
  });

  it('otherwise keeps the order the aggregator sent', () => {
    expect(nextTaskIndex(queue(TRAIN, EVALUATE))).toBe(0);
    expect(nextTaskIndex(queue(EVALUATE))).toBe(0);
    expect(nextTaskIndex(queue(EVALUATE, FINISHED, TRAIN))).toBe(0);
    expect(nextTaskIndex(queue(FINISHED, TRAIN))).toBe(0);
    expect(nextTaskIndex([])).toBe(0);
  });
});

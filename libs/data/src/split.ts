import { mulberry32 } from './prng.js';

export interface SplitIndices {
  /** Row indices, ascending. */
  train: number[];
  /** Row indices, ascending. */
  test: number[];
}

/**
 * Deterministic stratified split: each class sends round(count x testFraction) of its rows to test, but always
 * keeps at least one in train (so a class with one row goes to train). Same labels and seed, same split.
 * Indices come back ascending so the result does not depend on shuffle order; trainers shuffle per epoch.
 */
export function stratifiedSplit(labels: ArrayLike<number>, testFraction: number, seed: number): SplitIndices {
  if (!(testFraction >= 0 && testFraction < 1)) {
    throw new RangeError(`testFraction must be in [0, 1), got ${testFraction}`);
  }
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const members = byClass.get(labels[i]);
    if (members === undefined) byClass.set(labels[i], [i]);
    else members.push(i);
  }
  const random = mulberry32(seed);
  const train: number[] = [];
  const test: number[] = [];
  // Classes in a fixed order so the PRNG stream is consumed identically on every run.
  for (const cls of [...byClass.keys()].sort((a, b) => a - b)) {
    const members = byClass.get(cls) ?? [];
    for (let i = members.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [members[i], members[j]] = [members[j], members[i]];
    }
    const nTest = Math.min(Math.round(members.length * testFraction), members.length - 1);
    test.push(...members.slice(0, nTest));
    train.push(...members.slice(nTest));
  }
  const ascending = (a: number, b: number): number => a - b;
  return { train: train.sort(ascending), test: test.sort(ascending) };
}

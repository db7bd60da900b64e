/** Median wall time of `runs` calls, after one warm-up call unless the caller has already made it. */
export async function medianMs(runs: number, fn: () => Promise<unknown>, warmUp = true): Promise<number> {
  if (warmUp) await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

/** Three decimals: figures are read by people and compared across runs, not fed back into computation. */
export function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

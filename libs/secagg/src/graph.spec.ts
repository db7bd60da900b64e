import { neighbourhoods, secAggPlusDegree } from './graph.js';

const silos = (n: number) => Array.from({ length: n }, (_, i) => `silo-${String(i).padStart(3, '0')}`);

describe('SecAgg+ graph', () => {
  it('is O(log n): 2⌈log₂ n⌉ + 2, complete for small federations', () => {
    expect(secAggPlusDegree(10)).toBe(9);
    expect(secAggPlusDegree(100)).toBe(16);
    expect(secAggPlusDegree(1000)).toBe(22);
  });

  it('is k-regular, symmetric and connected', () => {
    const names = silos(100);
    const graph = neighbourhoods(names, 16, new Uint8Array(32).fill(3));
    for (const [s, around] of graph) {
      expect(new Set(around).size).toBe(16);
      expect(around).not.toContain(s);
      for (const o of around) expect(graph.get(o)).toContain(s);
    }
    const seen = new Set<string>([names[0]]);
    const queue = [names[0]];
    while (queue.length > 0)
      for (const o of graph.get(queue.pop() as string) ?? []) if (!seen.has(o) && seen.add(o)) queue.push(o);
    expect(seen.size).toBe(100);
  });

  it('depends on the seed, and is complete when the degree reaches n − 1', () => {
    const names = silos(30);
    const a = neighbourhoods(names, 6, new Uint8Array(32).fill(1));
    const b = neighbourhoods(names, 6, new Uint8Array(32).fill(2));
    expect(names.some((s) => a.get(s)?.join() !== b.get(s)?.join())).toBe(true);
    expect(neighbourhoods(names, 29, new Uint8Array(32)).get(names[0])).toHaveLength(29);
    expect(() => neighbourhoods(names, 5, new Uint8Array(32))).toThrow(/even/);
  });
});

import { Admission } from './admission.js';

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('Admission', () => {
  it('admits at most its limit, the rest in the order they asked as places are given back', async () => {
    const gate = new Admission(2);
    const admitted: number[] = [];
    const releases = new Map<number, () => void>();
    for (const i of [1, 2, 3, 4]) {
      void gate.acquire().then((release) => {
        admitted.push(i);
        releases.set(i, release);
      });
    }
    await tick();
    expect(admitted).toEqual([1, 2]);
    expect(gate.load).toEqual({ held: 2, waiting: 2 });
    releases.get(2)?.();
    await tick();
    expect(admitted).toEqual([1, 2, 3]);
    // A place given back twice is given back once.
    releases.get(2)?.();
    await tick();
    expect(admitted).toEqual([1, 2, 3]);
    releases.get(1)?.();
    await tick();
    expect(admitted).toEqual([1, 2, 3, 4]);
    expect(gate.load).toEqual({ held: 2, waiting: 0 });
  });

  it('refuses a limit that admits no one', () => {
    expect(() => new Admission(0)).toThrow(RangeError);
  });
});

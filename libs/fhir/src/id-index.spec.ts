import { IdIndex, idHash } from './id-index.js';

describe('IdIndex', () => {
  it('keeps the first occurrence of each id, through growth, like a Map would', () => {
    const index = new IdIndex(4);
    const reference = new Map<string, [number, number]>();
    for (let i = 0; i < 50_000; i++) {
      const id = `enc-${(i * 7919) % 30_011}`;
      const added = index.add(id, i % 97, i);
      expect(added).toBe(!reference.has(id));
      if (added) reference.set(id, [i % 97, i]);
    }
    expect(index.size).toBe(reference.size);
    for (const [id, [patient, position]] of reference) {
      expect(index.patientOf(id)).toBe(patient);
      expect(index.positionOf(id)).toBe(position);
    }
    expect(index.patientOf('enc-none')).toBeUndefined();
  });

  it('hashes to distinct 53-bit integers for ids that differ in one character or order', () => {
    const ids = ['a', 'b', 'ab', 'ba', 'Encounter-1', 'Encounter-2', 'Encounter-12', 'Encounter-21', ''];
    const hashes = ids.map(idHash);
    expect(new Set(hashes).size).toBe(ids.length);
    for (const h of hashes) expect(Number.isSafeInteger(h) && h >= 0).toBe(true);
  });
});

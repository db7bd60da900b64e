// Open addressing with linear probing (Knuth, TAOCP vol. 3, 6.4, algorithm L) over a 53-bit FNV-1a hash of each
// id (Fowler, Noll, Vo; two 32-bit lanes with different offsets), in typed arrays: an export's encounter index
// costs about 40 bytes per encounter instead of a string-keyed Map's few hundred, so memory stays flat.
const EMPTY = -1;

/** 53 bits of two FNV-1a lanes: two distinct ids of an export collide with odds of about n² / 2^54. */
export function idHash(id: string): number {
  let a = 0x811c9dc5;
  let b = 0x050c5d1f;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x01000193) ^ (b >>> 15);
  }
  return (a >>> 0) * 0x200000 + ((b >>> 0) >>> 11);
}

/** Maps ids to a (patient, position) pair; `position` tells the first occurrence of an id from later ones. */
export class IdIndex {
  private keys: Float64Array;
  private patients: Int32Array;
  private positions: Float64Array;
  size = 0;

  constructor(capacity = 1024) {
    const n = 2 ** Math.ceil(Math.log2(Math.max(16, capacity * 2)));
    this.keys = new Float64Array(n).fill(EMPTY);
    this.patients = new Int32Array(n);
    this.positions = new Float64Array(n);
  }

  private slot(key: number): number {
    const mask = this.keys.length - 1;
    // The low bits of the product spread the hash's high bits over the table.
    let i = (Math.imul((key % 0x100000000) | 0, 0x9e3779b1) >>> 0) & mask;
    while (this.keys[i] !== EMPTY && this.keys[i] !== key) i = (i + 1) & mask;
    return i;
  }

  /** Adds an id unless present; returns false (and changes nothing) when it was already there. */
  add(id: string, patient: number, position: number): boolean {
    const key = idHash(id);
    let i = this.slot(key);
    if (this.keys[i] === key) return false;
    if ((this.size + 1) * 2 > this.keys.length) {
      this.grow();
      i = this.slot(key);
    }
    this.keys[i] = key;
    this.patients[i] = patient;
    this.positions[i] = position;
    this.size++;
    return true;
  }

  /** The patient of an id (-1: recorded without one), or undefined when the id is not in the index. */
  patientOf(id: string): number | undefined {
    const i = this.slot(idHash(id));
    return this.keys[i] === EMPTY ? undefined : this.patients[i];
  }

  positionOf(id: string): number | undefined {
    const i = this.slot(idHash(id));
    return this.keys[i] === EMPTY ? undefined : this.positions[i];
  }

  private grow(): void {
    const { keys, patients, positions } = this;
    this.keys = new Float64Array(keys.length * 2).fill(EMPTY);
    this.patients = new Int32Array(keys.length * 2);
    this.positions = new Float64Array(keys.length * 2);
    for (let j = 0; j < keys.length; j++) {
      if (keys[j] === EMPTY) continue;
      const i = this.slot(keys[j]);
      this.keys[i] = keys[j];
      this.patients[i] = patients[j];
      this.positions[i] = positions[j];
    }
  }
}

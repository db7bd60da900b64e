import { createHash, randomBytes } from 'node:crypto';
import { EMPTY_MERKLE_ROOT, MerkleAccumulator, merkleRoot } from './merkle.js';

const sha256 = (...parts: Buffer[]) => createHash('sha256').update(Buffer.concat(parts)).digest();

// RFC 6962 §2.1 written out as the recursion it is, independent of the accumulator's stack.
function reference(leaves: Buffer[]): Buffer {
  if (leaves.length === 0) return sha256();
  if (leaves.length === 1) return sha256(Buffer.of(0), leaves[0]);
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return sha256(Buffer.of(1), reference(leaves.slice(0, k)), reference(leaves.slice(k)));
}

describe('merkleRoot', () => {
  it('is SHA-256 of nothing for the empty list, as in RFC 6962', () => {
    expect(merkleRoot([])).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(EMPTY_MERKLE_ROOT).toBe(sha256().toString('hex'));
  });

  it('reproduces the Certificate Transparency reference test vectors', () => {
    // The eight leaves and roots of the CT reference implementation's Merkle tree tests (also recomputed
    // with a 10-line Python RFC 6962 implementation); their leaves are arbitrary bytes rather than hashes.
    const leaves = [
      '',
      '00',
      '10',
      '2021',
      '3031',
      '40414243',
      '5051525354555657',
      '606162636465666768696a6b6c6d6e6f',
    ];
    const roots = [
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
      'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
      'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
      '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
      '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
      'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
      '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
    ];
    const tree = new MerkleAccumulator();
    leaves.forEach((leaf, i) => {
      tree.push(Buffer.from(leaf, 'hex'));
      expect(tree.size).toBe(i + 1);
      expect(tree.root()).toBe(roots[i]);
    });
  });

  it('matches a Python computation over entry-hash leaves', () => {
    // python3: hs = [sha256(str(i).encode()).digest() for i in range(7)]; mth(hs).hex(), mth(hs[:1]).hex()
    const hashes = Array.from({ length: 7 }, (_, i) => sha256(Buffer.from(String(i))).toString('hex'));
    expect(merkleRoot(hashes)).toBe('5653c4ab2514ccd6ea4f0159702d2aba901f2562aa75abcff5a19e344bee038f');
    expect(merkleRoot(hashes.slice(0, 1))).toBe(
      '13a77175e35eb1d9da91ee14df0d7772cea71289800206e2b45c882ecb06efbf',
    );
  });

  it('equals the recursive definition for every size from 0 to 70', () => {
    const hashes = Array.from({ length: 70 }, () => randomBytes(32));
    for (let n = 0; n <= 70; n++) {
      const slice = hashes.slice(0, n);
      expect(merkleRoot(slice.map((h) => h.toString('hex')))).toBe(reference(slice).toString('hex'));
    }
  });

  it('depends on the order of the leaves', () => {
    const a = sha256(Buffer.from('a')).toString('hex');
    const b = sha256(Buffer.from('b')).toString('hex');
    expect(merkleRoot([a, b])).not.toBe(merkleRoot([b, a]));
  });

  it('refuses a leaf that is not a 64-hex hash', () => {
    expect(() => merkleRoot(['AB'.repeat(32)])).toThrow(expect.objectContaining({ code: 'HASH_INVALID' }));
    expect(() => merkleRoot(['ab'])).toThrow(expect.objectContaining({ code: 'HASH_INVALID' }));
  });
});

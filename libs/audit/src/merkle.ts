// RFC 6962 (Certificate Transparency) Merkle tree hash over entry hashes, so a checkpoint's signature covers
// every entry of its range with one 32-byte root:
//   MTH({})      = SHA-256()
//   MTH({d})     = SHA-256(0x00 ‖ d)
//   MTH(D[0:n])  = SHA-256(0x01 ‖ MTH(D[0:k]) ‖ MTH(D[k:n])), k the largest power of two below n
// The leaves d are the 32 raw bytes of each entry hash.
import { requireHash } from './entry.js';
import { sha256Hex } from './sha256.js';

/** MTH of the empty list: SHA-256 of no bytes. */
export const EMPTY_MERKLE_ROOT = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

const HASH_BYTES = 32;
// Reused input buffers: 0x00 ‖ leaf for a 32-byte leaf, 0x01 ‖ left ‖ right for a node.
const leafInput = Buffer.alloc(1 + HASH_BYTES);
const nodeInput = Buffer.alloc(1 + 2 * HASH_BYTES);
nodeInput[0] = 0x01;

/**
 * Builds the root incrementally in O(log n) memory: a stack of complete subtrees of decreasing power-of-two
 * sizes, merged as equal sizes meet, then folded right to left. That fold is exactly RFC 6962's split.
 */
export class MerkleAccumulator {
  private readonly stack: { size: number; hash: string }[] = [];
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Adds the next leaf: an entry hash as 64 hex characters, or raw bytes (any length, as RFC 6962 allows). */
  push(entryHash: string | Uint8Array): void {
    let hash: string;
    if (typeof entryHash === 'string') {
      leafInput.write(requireHash('entry hash', entryHash), 1, 'hex');
      hash = sha256Hex(leafInput);
    } else {
      hash = sha256Hex(Buffer.concat([Buffer.of(0x00), entryHash]));
    }
    let node = { size: 1, hash };
    let top = this.stack.at(-1);
    while (top !== undefined && top.size === node.size) {
      this.stack.pop();
      node = { size: node.size * 2, hash: nodeHash(top.hash, node.hash) };
      top = this.stack.at(-1);
    }
    this.stack.push(node);
    this.count++;
  }

  /** The root over the leaves pushed so far, in hex. */
  root(): string {
    if (this.stack.length === 0) return EMPTY_MERKLE_ROOT;
    let hash = this.stack[this.stack.length - 1].hash;
    for (let i = this.stack.length - 2; i >= 0; i--) hash = nodeHash(this.stack[i].hash, hash);
    return hash;
  }
}

/** The RFC 6962 Merkle tree hash over `hashes` (entry hashes in hex, in seq order), in hex. */
export function merkleRoot(hashes: Iterable<string>): string {
  const tree = new MerkleAccumulator();
  for (const hash of hashes) tree.push(hash);
  return tree.root();
}

function nodeHash(left: string, right: string): string {
  nodeInput.write(left, 1, 'hex');
  nodeInput.write(right, 1 + HASH_BYTES, 'hex');
  return sha256Hex(nodeInput);
}

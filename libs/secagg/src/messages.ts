// The messages of one secure-aggregation round (Bonawitz et al. 2017, Fig. 4: AdvertiseKeys, ShareKeys, MaskedInputCollection, Unmasking), transport-free.
import type { Share } from './shamir.js';

/** What the server fixes before the round and every silo checks: the same for all. */
export interface RoundConfig {
  /** Binds every derived key and mask to this round (job, round, nonce): nothing is reused across rounds. */
  roundId: string;
  /** The modulus is 2^bits. */
  bits: number;
  /** Words in every silo's input vector. */
  length: number;
  /** Neighbours per silo: 'full' (SecAgg, everyone), 'secagg+' (O(log n), Bell et al. 2020) or a number. */
  degree: 'full' | 'secagg+' | number;
  /** Fraction of a silo's share holders (itself and its neighbours) needed to rebuild its secrets, in (1/2, 1]. */
  thresholdFraction: number;
  /** The silos invited to the round, each once. */
  participants: string[];
}

/** Step 0, silo → server: two fresh X25519 public keys (encryption of shares, and pairwise masks). */
export interface AdvertiseKeys {
  silo: string;
  encryptionKey: Uint8Array;
  maskingKey: Uint8Array;
}

/** Step 0, server → silos: who advertised, and their keys. */
export interface Roster {
  config: RoundConfig;
  keys: AdvertiseKeys[];
}

/** One silo's shares for one holder: encrypted to it, and committed to so anyone can check them later. */
export interface SealedShares {
  from: string;
  to: string;
  /** AES-256-GCM under a key only `from` and `to` can agree: nonce, ciphertext and tag. */
  ciphertext: Uint8Array;
  /** SHA-256 of each share (see commitShare): what the holder must give back at unmasking. */
  commitments: { maskingKey: Uint8Array; selfMask: Uint8Array };
}

/** Step 1, silo → server: its shares for every holder, and a commitment to its self-mask seed. */
export interface ShareKeys {
  silo: string;
  selfMaskCommitment: Uint8Array;
  shares: SealedShares[];
}

/** Step 1, server → one silo: the silos whose shares arrived (U2), and what they sent it. */
export interface SharesFor {
  survivors: string[];
  shares: SealedShares[];
}

/** Step 2, silo → server: its masked input; `complaints` names dealers whose shares did not check out. */
export interface MaskedInput {
  silo: string;
  masked: Uint32Array;
  complaints: string[];
}

/** Step 2, server → survivors: whose input is in the sum (U3) and who dropped after sharing (U2 \ U3). */
export interface UnmaskRequest {
  survivors: string[];
  dropped: string[];
}

/** Step 3, silo → server: its shares of survivors' self-mask seeds and of dropped silos' masking keys. */
export interface UnmaskResponse {
  silo: string;
  selfMaskShares: { of: string; share: Share }[];
  maskingKeyShares: { of: string; share: Share }[];
}

/** What the server learns: the sum of the survivors' inputs modulo 2^bits, and who did what. */
export interface AggregateResult {
  sum: Uint32Array;
  survivors: string[];
  dropped: string[];
  /** Silos that gave back a share other than the one committed to (excluded; the round went on without them). */
  misbehaving: { silo: string; reason: string }[];
}

// The enclave's whole interface: these messages, over the IPC channel of its own process. Nothing else goes in
// or out — in particular no private key and no plaintext update ever crosses it.
import type { WeightsEncoding } from '@cohort/protocol';

export interface EnclaveErrorReply {
  code: string;
  message: string;
}

/**
 * A DP round's mechanism, applied inside the enclave: updates are summed (not weighted by counts), clipped to
 * clipNorm first at silo level, and the sum gets N(0, noiseStd²) per coordinate in central mode.
 */
export interface EnclaveDp {
  level: 'patient' | 'silo';
  mode: 'central' | 'local';
  clipNorm: number;
  noiseStd: number;
}

export interface EnclaveRule {
  name: string;
  params: Record<string, number>;
}

/** How far each silo's update is from the robust centre: computed inside, released as numbers only. */
export interface EnclaveOutlierScore {
  siloId: string;
  distance: number;
  cosine: number;
  norm: number;
  flagged: boolean;
}

/** An update as it crosses into the enclave: still sealed, with the digest the silo signed. */
export interface SealedUpdate {
  jobId: string;
  round: number;
  siloId: string;
  exampleCount: number;
  sealed: Uint8Array;
  payloadSha256: Uint8Array;
  /** The encoding the silo's header names; the enclave decodes with its round's encoding and refuses another. */
  encoding: WeightsEncoding;
}

export type EnclaveRequest =
  | { type: 'describe' }
  | { type: 'attest'; nonce: Uint8Array; audience: string }
  | {
      type: 'open-round';
      jobId: string;
      round: number;
      parameterCount: number;
      dp?: EnclaveDp;
      /** The job's aggregation rule; robust rules hold the round's updates in the enclave until release. */
      rule?: EnclaveRule;
      /** The job's wire encoding: how every update of the round is packed under the seal (float32 if absent). */
      encoding?: WeightsEncoding;
    }
  | ({ type: 'add-update' } & SealedUpdate)
  | { type: 'release'; jobId: string; round: number }
  | { type: 'discard-round'; jobId: string; round: number };

export interface EnclaveDescription {
  measurement: string;
  component: string;
  hpkePublicKey: Uint8Array;
  signingPublicKey: Uint8Array;
  sealing: string;
  verifier: string;
  insecureDev: boolean;
}

export interface EnclaveReplies {
  describe: EnclaveDescription;
  attest: { token: string };
  'open-round': { opened: true };
  'add-update': { receipt: string; receivedAtUnixMs: number; accepted: number };
  /** The only thing the enclave releases: the weighted mean of the round's updates, or under DP their noised sum. */
  release: { aggregate: Uint8Array; updates: number; scores: EnclaveOutlierScore[] };
  'discard-round': { discarded: boolean };
}

export type EnclaveMessage = { id: number; request: EnclaveRequest };
export type EnclaveResponse =
  | { id: number; ok: true; reply: EnclaveReplies[keyof EnclaveReplies] }
  | { id: number; ok: false; error: EnclaveErrorReply };

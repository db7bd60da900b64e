// The enclave's whole interface: these messages, over the IPC channel of its own process. Nothing else goes in
// or out — in particular no private key and no plaintext update ever crosses it.

export interface EnclaveErrorReply {
  code: string;
  message: string;
}

/** An update as it crosses into the enclave: still sealed, with the digest the silo signed. */
export interface SealedUpdate {
  jobId: string;
  round: number;
  siloId: string;
  exampleCount: number;
  sealed: Uint8Array;
  payloadSha256: Uint8Array;
}

export type EnclaveRequest =
  | { type: 'describe' }
  | { type: 'attest'; nonce: Uint8Array; audience: string }
  | { type: 'open-round'; jobId: string; round: number; parameterCount: number }
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
  /** The aggregate: the weighted mean of the round's updates, the only thing the enclave releases. */
  release: { mean: Uint8Array; updates: number };
  'discard-round': { discarded: boolean };
}

export type EnclaveMessage = { id: number; request: EnclaveRequest };
export type EnclaveResponse =
  | { id: number; ok: true; reply: EnclaveReplies[keyof EnclaveReplies] }
  | { id: number; ok: false; error: EnclaveErrorReply };

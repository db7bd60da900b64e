import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import {
  aggregate,
  AGGREGATION_RULES,
  countSketch,
  createStreamingAggregator,
  isAggregationRule,
  type StreamingAggregator,
  l2Norm,
  createMeanAccumulator,
  outlierScores,
  type MeanAccumulator,
  type SiloUpdate,
} from '@cohort/aggregation';
import { WeightsEncoding } from '@cohort/protocol';
import { firstNonFiniteFloat32 } from '@cohort/model';
import { QuantizationError, decodeUpdate, encodedLength, encodingName } from '@cohort/quantization';
import { ed25519Jwk, x25519Jwk } from '@cohort/attestation';
import { signReceipt } from '@cohort/identity';
import {
  SEALING_SCHEME,
  generateSealingKeyPair,
  open,
  seal,
  updateAad,
  type SealingKeyPair,
} from '@cohort/sealing';
import type {
  EnclaveDescription,
  EnclaveDp,
  EnclaveReplies,
  EnclaveRule,
  SealedUpdate,
} from './enclave-protocol.js';
import { addGaussianNoise, clipToNorm } from '@cohort/privacy';

export class EnclaveError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'EnclaveError';
  }
}

/** Turns the enclave's evidence into a signed attestation token (a plug-in: insecure-dev here, a TEE service in production). */
export interface Attester {
  readonly name: string;
  readonly insecureDev: boolean;
  issue(
    evidence: {
      measurement: string;
      component: string;
      nonce: Uint8Array;
      boundKey: object;
      extraKeys: Record<string, object>;
    },
    audience: string,
  ): Promise<string>;
}

interface OpenRound {
  parameterCount: number;
  encoding: WeightsEncoding;
  dp: EnclaveDp | undefined;
  rule: EnclaveRule | undefined;
  /** Robust rules need every update at once: they stay here, in the enclave, until the round is released. */
  held: SiloUpdate[] | undefined;
  accumulator: MeanAccumulator;
  /** A streaming rule other than FedAvg (norm bounding): folded in as updates arrive, like the mean. */
  stream: StreamingAggregator | undefined;
  /**
   * Streaming rules keep a count sketch of each update (exact below SKETCH_WIDTH parameters) and its exact norm,
   * so the round still gets an outlier report in O(N·width) memory. Not under DP: scores describe single updates.
   */
  sketches: (SiloUpdate & { norm: number })[] | undefined;
  accepted: Set<string>;
  /** Updates being opened right now: a second one from the same silo meanwhile is a replay. */
  opening: Set<string>;
}

export const ENCLAVE_COMPONENT = 'cohort-aggregation-enclave';

/**
 * Everything the enclave does, behind the message interface of enclave-protocol.ts: its keys are generated
 * here and never leave; sealed updates are opened, checked and folded into the round's mean here, and only
 * that mean is released.
 */
export class EnclaveCore {
  private readonly rounds = new Map<string, OpenRound>();

  private constructor(
    private readonly measurement: string,
    private readonly sealingKeys: SealingKeyPair,
    private readonly signingKey: KeyObject,
    private readonly signingPublicRaw: Buffer,
    private readonly attester: Attester,
  ) {}

  static async create(measurement: string, attester: Attester): Promise<EnclaveCore> {
    const sealingKeys = await generateSealingKeyPair();
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const jwk = publicKey.export({ format: 'jwk' });
    const signingPublicRaw = Buffer.from(jwk.x ?? '', 'base64url');
    const core = new EnclaveCore(measurement, sealingKeys, privateKey, signingPublicRaw, attester);
    await core.warmUp();
    return core;
  }

  /** One update through every step, on a scratch round, so the first real upload is not the one that compiles them. */
  private async warmUp(): Promise<void> {
    const probe = { jobId: 'warm-up', round: 1, siloId: 'warm-up', exampleCount: 1 };
    this.openRound(probe.jobId, probe.round, 4);
    const sealed = await seal(this.sealingKeys.publicKeyRaw, new Uint8Array(16), updateAad(probe));
    await this.addUpdate({
      ...probe,
      sealed,
      payloadSha256: createHash('sha256').update(sealed).digest(),
      encoding: WeightsEncoding.WEIGHTS_ENCODING_FLOAT32,
    });
    this.release(probe.jobId, probe.round);
  }

  describe(): EnclaveDescription {
    return {
      measurement: this.measurement,
      component: ENCLAVE_COMPONENT,
      hpkePublicKey: this.sealingKeys.publicKeyRaw,
      signingPublicKey: this.signingPublicRaw,
      sealing: SEALING_SCHEME,
      verifier: this.attester.name,
      insecureDev: this.attester.insecureDev,
    };
  }

  async attest(nonce: Uint8Array, audience: string): Promise<string> {
    if (nonce.byteLength < 16 || nonce.byteLength > 64) {
      throw new EnclaveError(
        'ATTESTATION_NONCE_INVALID',
        `an attestation nonce must be 16-64 bytes, got ${nonce.byteLength}`,
      );
    }
    return this.attester.issue(
      {
        measurement: this.measurement,
        component: ENCLAVE_COMPONENT,
        nonce,
        boundKey: x25519Jwk(this.sealingKeys.publicKeyRaw),
        extraKeys: { signing: ed25519Jwk(this.signingPublicRaw) },
      },
      audience,
    );
  }

  openRound(
    jobId: string,
    round: number,
    parameterCount: number,
    dp?: EnclaveDp,
    rule?: EnclaveRule,
    encoding: WeightsEncoding = WeightsEncoding.WEIGHTS_ENCODING_FLOAT32,
  ): void {
    // Sizes the round's payloads now, so an encoding this build cannot decode fails the round, not each upload.
    encodedLength(encoding, parameterCount);
    // Streaming rules (FedAvg, norm bounding) fold updates in as they come, O(P) memory; the others run on the
    // held updates at release. DP rounds always stream (a plain sum).
    const streams =
      rule === undefined || (isAggregationRule(rule.name) && AGGREGATION_RULES[rule.name].streaming);
    const holds = !dp && !streams;
    this.rounds.set(key(jobId, round), {
      parameterCount,
      encoding,
      dp,
      rule,
      held: holds ? [] : undefined,
      accumulator: createMeanAccumulator(parameterCount),
      stream:
        !dp && streams && rule !== undefined && rule.name !== 'fedavg'
          ? createStreamingAggregator(rule.name, parameterCount, rule.params)
          : undefined,
      sketches: !dp && !holds ? [] : undefined,
      accepted: new Set(),
      opening: new Set(),
    });
  }

  /** Opens a sealed update, checks it against the model, folds it in, and signs a receipt for the silo. */
  async addUpdate(u: SealedUpdate): Promise<{ receipt: string; receivedAtUnixMs: number; accepted: number }> {
    const open_ = this.rounds.get(key(u.jobId, u.round));
    if (!open_)
      throw new EnclaveError(
        'ROUND_NOT_OPEN',
        `round ${u.round} of job ${u.jobId} is not open in the enclave`,
      );
    if (open_.accepted.has(u.siloId) || open_.opening.has(u.siloId)) {
      throw new EnclaveError('UPDATE_DUPLICATE', `silo ${u.siloId} already delivered round ${u.round}`);
    }
    open_.opening.add(u.siloId);
    try {
      return await this.openAndFold(open_, u);
    } finally {
      open_.opening.delete(u.siloId);
    }
  }

  private async openAndFold(
    open_: OpenRound,
    u: SealedUpdate,
  ): Promise<{ receipt: string; receivedAtUnixMs: number; accepted: number }> {
    if (u.encoding !== open_.encoding) {
      throw new EnclaveError(
        'UPDATE_UNSUPPORTED_ENCODING',
        `the update from silo ${u.siloId} is ${encodingName(u.encoding)}; the job's updates are ${encodingName(open_.encoding)}`,
      );
    }
    const digest = createHash('sha256').update(u.sealed).digest();
    if (!digest.equals(Buffer.from(u.payloadSha256))) {
      throw new EnclaveError('UPDATE_DIGEST_MISMATCH', 'the sealed payload does not match its signed digest');
    }
    let plaintext: Buffer;
    try {
      plaintext = await open(
        this.sealingKeys,
        u.sealed,
        updateAad({ ...u, wireEncoding: encodingName(u.encoding) }),
      );
    } catch (err) {
      throw new EnclaveError(
        'UPDATE_OPEN_FAILED',
        `the sealed update from silo ${u.siloId} cannot be opened (tampered, or sealed to another key): ${(err as Error).message}`,
      );
    }
    try {
      let delta: Float32Array;
      try {
        delta = decodeUpdate(plaintext, open_.encoding, open_.parameterCount);
      } catch (err) {
        if (!(err instanceof QuantizationError)) throw err;
        throw new EnclaveError(
          err.code === 'LENGTH_MISMATCH' ? 'UPDATE_SIZE_MISMATCH' : 'UPDATE_MALFORMED',
          `the update from silo ${u.siloId} does not decode: ${err.message}`,
        );
      }
      // After decoding, so an int8 block with a non-finite scale or a float16 overflow is refused too.
      const nonFinite = firstNonFiniteFloat32(delta);
      if (nonFinite >= 0) {
        throw new EnclaveError(
          'UPDATE_NON_FINITE',
          `the update from silo ${u.siloId} has a non-finite value at ${nonFinite}`,
        );
      }
      if (open_.dp) {
        // DP: a plain sum (counts are private), each silo's update clipped first at silo level.
        const contribution = open_.dp.level === 'silo' ? clipToNorm(delta, open_.dp.clipNorm).clipped : delta;
        open_.accumulator.add(contribution, 1);
        contribution.fill(0);
      } else if (open_.held) {
        open_.held.push({ delta, weight: u.exampleCount, siloId: u.siloId });
      } else {
        open_.sketches?.push({
          delta: countSketch(delta),
          weight: u.exampleCount,
          siloId: u.siloId,
          norm: l2Norm(delta),
        });
        (open_.stream ?? open_.accumulator).add(delta, u.exampleCount);
      }
      if (!open_.held) delta.fill(0);
    } finally {
      plaintext.fill(0);
    }
    open_.accepted.add(u.siloId);
    const receivedAtUnixMs = Date.now();
    const receipt = await signReceipt(this.signingKey, {
      jobId: u.jobId,
      round: u.round,
      siloId: u.siloId,
      payloadSha256: u.payloadSha256,
      receivedAtUnixMs,
    });
    return { receipt, receivedAtUnixMs, accepted: open_.accepted.size };
  }

  /** Releases the round's aggregate (under DP: the sum, noised here in central mode) and forgets the round. */
  release(jobId: string, round: number): EnclaveReplies['release'] {
    const open_ = this.rounds.get(key(jobId, round));
    if (!open_)
      throw new EnclaveError('ROUND_NOT_OPEN', `round ${round} of job ${jobId} is not open in the enclave`);
    if (open_.accepted.size === 0)
      throw new EnclaveError('ROUND_EMPTY', `round ${round} of job ${jobId} has no updates`);
    this.rounds.delete(key(jobId, round));
    if (open_.held && open_.rule) {
      const centre = aggregate(open_.rule.name, open_.held, open_.rule.params);
      const scores = outlierScores(open_.held, centre);
      for (const u of open_.held) u.delta.fill(0);
      return { aggregate: bytesOf(centre), updates: open_.accepted.size, scores };
    }
    let result = (open_.stream ?? open_.accumulator).result();
    if (open_.dp) {
      const sum = result.map((v) => v * open_.accumulator.totalWeight);
      result = open_.dp.mode === 'central' ? addGaussianNoise(sum, open_.dp.noiseStd) : sum;
    }
    const scores = open_.sketches
      ? outlierScores(open_.sketches, countSketch(result)).map((sc, i) => ({
          ...sc,
          norm: open_.sketches![i].norm,
        }))
      : [];
    return { aggregate: bytesOf(result), updates: open_.accepted.size, scores };
  }

  discard(jobId: string, round: number): boolean {
    return this.rounds.delete(key(jobId, round));
  }
}

function bytesOf(v: Float32Array): Uint8Array {
  return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}

function key(jobId: string, round: number): string {
  return `${jobId}#${round}`;
}

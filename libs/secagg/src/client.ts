// A silo's side of one secure-aggregation round (Bonawitz et al. 2017, Fig. 4, client; SecAgg+ neighbourhoods of Bell et al. 2020): no transport, one method per step.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { SecAggError } from './errors.js';
import { agree, generateKeyPair, type RawKeyPair } from './key-agreement.js';
import type {
  AdvertiseKeys,
  MaskedInput,
  Roster,
  RoundConfig,
  ShareKeys,
  SharesFor,
  UnmaskRequest,
  UnmaskResponse,
} from './messages.js';
import { addMask, deriveSeed } from './prg.js';
import { commitSelfMask, commitShare, openShares, sealShares, type SharePair } from './share-box.js';
import { split } from './shamir.js';
import {
  checkConfig,
  minimumSurvivors,
  pairInfo,
  pairSign,
  selfMaskInfo,
  topology,
  type Topology,
} from './topology.js';

type Step = 'advertise' | 'share' | 'mask' | 'unmask' | 'done';

function same(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && timingSafeEqual(a, b);
}

export class SecAggClient {
  private step: Step = 'advertise';
  private readonly encryption: RawKeyPair = generateKeyPair();
  private readonly masking: RawKeyPair = generateKeyPair();
  private readonly selfMaskSeed = new Uint8Array(randomBytes(32));
  private roster?: Roster;
  private topo?: Topology;
  private sharesSurvivors?: Set<string>;
  private readonly held = new Map<string, SharePair>();

  /**
   * `deal` is how secrets are split: Shamir's by default; tests pass a dishonest dealer to check that the server
   * names it.
   */
  constructor(
    readonly silo: string,
    private readonly config: RoundConfig,
    private readonly deal: typeof split = split,
  ) {
    checkConfig(config);
    if (!config.participants.includes(silo))
      throw new SecAggError(
        'INVALID_PARAMETERS',
        `silo ${silo} is not a participant of round ${config.roundId}`,
      );
  }

  private expect(step: Step): void {
    if (this.step !== step)
      throw new SecAggError(
        'MALFORMED_MESSAGE',
        `silo ${this.silo} is at step "${this.step}", not "${step}"`,
      );
  }

  /** Step 0: fresh keys for this round only, so nothing learnt in one round unmasks another. */
  advertise(): AdvertiseKeys {
    this.expect('advertise');
    this.step = 'share';
    return { silo: this.silo, encryptionKey: this.encryption.publicKey, maskingKey: this.masking.publicKey };
  }

  /** Step 1: Shamir-shares the masking key and the self-mask seed among this silo's holders, each encrypted. */
  shareKeys(roster: Roster): ShareKeys {
    this.expect('share');
    this.checkRoster(roster);
    const topo = topology(this.config, roster.keys);
    const holders = topo.holders.get(this.silo) ?? [];
    const t = topo.threshold.get(this.silo) ?? 0;
    if (holders.length < t)
      throw new SecAggError(
        'TOO_FEW_SURVIVORS',
        `silo ${this.silo} has ${holders.length} share holders, needs ${t}`,
      );
    const points = holders.map((h) => topo.point.get(h) ?? 0);
    const maxPoint = Math.max(...points);
    const keyShares = this.deal(this.masking.privateKey, maxPoint, t);
    const seedShares = this.deal(this.selfMaskSeed, maxPoint, t);
    const keyOf = new Map(roster.keys.map((k) => [k.silo, k]));
    const shares = holders.map((to) => {
      const x = topo.point.get(to) ?? 0;
      const pair: SharePair = { maskingKey: keyShares[x - 1], selfMask: seedShares[x - 1] };
      const peer = keyOf.get(to)?.encryptionKey ?? new Uint8Array(0);
      return {
        from: this.silo,
        to,
        ciphertext: sealShares(this.config.roundId, this.silo, to, this.encryption.privateKey, peer, pair),
        commitments: {
          maskingKey: commitShare(this.config.roundId, this.silo, to, 'maskingKey', pair.maskingKey),
          selfMask: commitShare(this.config.roundId, this.silo, to, 'selfMask', pair.selfMask),
        },
      };
    });
    this.roster = roster;
    this.topo = topo;
    this.step = 'mask';
    return {
      silo: this.silo,
      selfMaskCommitment: commitSelfMask(this.config.roundId, this.silo, this.selfMaskSeed),
      shares,
    };
  }

  private checkRoster(roster: Roster): void {
    const c = roster.config;
    const mine = this.config;
    if (
      c.roundId !== mine.roundId ||
      c.bits !== mine.bits ||
      c.length !== mine.length ||
      c.degree !== mine.degree ||
      c.thresholdFraction !== mine.thresholdFraction ||
      c.participants.join('\u0000') !== mine.participants.join('\u0000')
    )
      throw new SecAggError(
        'MALFORMED_MESSAGE',
        `the roster's round parameters differ from round ${mine.roundId}'s`,
      );
    const names = roster.keys.map((k) => k.silo);
    if (new Set(names).size !== names.length || names.some((n) => !mine.participants.includes(n)))
      throw new SecAggError('MALFORMED_MESSAGE', 'the roster repeats a silo or names one outside the round');
    const own = roster.keys.find((k) => k.silo === this.silo);
    if (
      !own ||
      !same(own.encryptionKey, this.encryption.publicKey) ||
      !same(own.maskingKey, this.masking.publicKey)
    )
      throw new SecAggError('MALFORMED_MESSAGE', `the roster does not carry silo ${this.silo}'s own keys`);
    const floor = minimumSurvivors(mine);
    if (roster.keys.length < floor)
      throw new SecAggError(
        'TOO_FEW_SURVIVORS',
        `${roster.keys.length} silos advertised keys, fewer than ${floor}`,
      );
  }

  /**
   * Step 2: opens the shares it holds, then masks `input` (already quantized, modulo 2^bits) with its self-mask and
   * one pairwise mask per neighbour that shared. A share that does not open or does not match its commitment is
   * a complaint naming its dealer; the input is still masked, the server decides.
   */
  maskedInput(forwarded: SharesFor, input: Uint32Array): MaskedInput {
    this.expect('mask');
    const roster = this.roster;
    const topo = this.topo;
    if (!roster || !topo) throw new SecAggError('MALFORMED_MESSAGE', 'no roster');
    if (input.length !== this.config.length)
      throw new SecAggError(
        'OUT_OF_RANGE',
        `the input has ${input.length} words, the round ${this.config.length}`,
      );
    const survivors = new Set(forwarded.survivors);
    if (!survivors.has(this.silo) || forwarded.survivors.some((s) => !topo.point.has(s)))
      throw new SecAggError(
        'MALFORMED_MESSAGE',
        'the share survivors must include this silo and only advertised silos',
      );
    const floor = minimumSurvivors(this.config);
    if (survivors.size < floor)
      throw new SecAggError('TOO_FEW_SURVIVORS', `${survivors.size} silos shared keys, fewer than ${floor}`);
    const keyOf = new Map(roster.keys.map((k) => [k.silo, k]));
    const complaints: string[] = [];
    for (const from of topo.holders.get(this.silo) ?? []) {
      if (!survivors.has(from)) continue;
      const sealed = forwarded.shares.find((s) => s.from === from && s.to === this.silo);
      const peer = keyOf.get(from)?.encryptionKey;
      const pair =
        sealed && peer
          ? openShares(
              this.config.roundId,
              from,
              this.silo,
              this.encryption.privateKey,
              peer,
              sealed.ciphertext,
            )
          : undefined;
      const ok =
        pair !== undefined &&
        sealed !== undefined &&
        pair.maskingKey.x === topo.point.get(this.silo) &&
        same(
          commitShare(this.config.roundId, from, this.silo, 'maskingKey', pair.maskingKey),
          sealed.commitments.maskingKey,
        ) &&
        same(
          commitShare(this.config.roundId, from, this.silo, 'selfMask', pair.selfMask),
          sealed.commitments.selfMask,
        );
      if (ok) this.held.set(from, pair);
      else complaints.push(from);
    }
    this.sharesSurvivors = survivors;
    const masked = Uint32Array.from(input);
    const bits = this.config.bits;
    addMask(masked, deriveSeed(this.selfMaskSeed, selfMaskInfo(this.config.roundId, this.silo)), 1, bits);
    for (const other of topo.neighbours.get(this.silo) ?? []) {
      if (!survivors.has(other)) continue;
      const peer = keyOf.get(other)?.maskingKey ?? new Uint8Array(0);
      const seed = agree(this.masking.privateKey, peer, pairInfo(this.config.roundId, this.silo, other));
      addMask(masked, seed, pairSign(this.silo, other), bits);
    }
    this.step = 'unmask';
    return { silo: this.silo, masked, complaints };
  }

  /**
   * Step 3: for each silo it holds shares of, the self-mask share if that silo's input is in the sum, the
   * masking-key share if it dropped, never both: with both the server could unmask that one silo's input.
   */
  unmask(request: UnmaskRequest): UnmaskResponse {
    this.expect('unmask');
    const shared = this.sharesSurvivors ?? new Set<string>();
    const survivors = new Set(request.survivors);
    const dropped = new Set(request.dropped);
    for (const s of request.survivors)
      if (dropped.has(s))
        throw new SecAggError(
          'UNSAFE_REQUEST',
          `silo ${s} is listed as both surviving and dropped: refusing to unmask`,
        );
    for (const s of [...survivors, ...dropped])
      if (!shared.has(s))
        throw new SecAggError('MALFORMED_MESSAGE', `silo ${s} did not share keys in this round`);
    if (survivors.size + dropped.size !== shared.size)
      throw new SecAggError(
        'MALFORMED_MESSAGE',
        'survivors and dropped must together be the silos that shared keys',
      );
    if (!survivors.has(this.silo))
      throw new SecAggError('MALFORMED_MESSAGE', `silo ${this.silo} is not listed among the survivors`);
    const floor = minimumSurvivors(this.config);
    if (survivors.size < floor)
      throw new SecAggError(
        'TOO_FEW_SURVIVORS',
        `${survivors.size} masked inputs arrived, fewer than ${floor}`,
      );
    const response: UnmaskResponse = { silo: this.silo, selfMaskShares: [], maskingKeyShares: [] };
    for (const [of, pair] of this.held) {
      if (survivors.has(of)) response.selfMaskShares.push({ of, share: pair.selfMask });
      else if (dropped.has(of)) response.maskingKeyShares.push({ of, share: pair.maskingKey });
    }
    this.step = 'done';
    return response;
  }
}

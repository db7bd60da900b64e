// The server's side of one secure-aggregation round (Bonawitz et al. 2017, Fig. 4, server, with dropout recovery; SecAgg+ of Bell et al. 2020): it relays, collects and unmasks the sum, and never sees one silo's input.
import { timingSafeEqual } from 'node:crypto';
import { SecAggError } from './errors.js';
import { agree, publicKeyOf, X25519_KEY_BYTES } from './key-agreement.js';
import type {
  AdvertiseKeys,
  AggregateResult,
  MaskedInput,
  Roster,
  RoundConfig,
  ShareKeys,
  SharesFor,
  UnmaskRequest,
  UnmaskResponse,
} from './messages.js';
import { addMask, deriveSeed } from './prg.js';
import { commitSelfMask, commitShare } from './share-box.js';
import { combine, type Share } from './shamir.js';
import {
  checkConfig,
  minimumSurvivors,
  pairInfo,
  pairSign,
  selfMaskInfo,
  topology,
  type Topology,
} from './topology.js';

type Step = 'advertise' | 'share' | 'mask' | 'unmask' | 'done' | 'aborted';

function same(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && timingSafeEqual(a, b);
}

/**
 * Each `receive…` takes one silo's message for the current step (a late or repeated one is refused); each
 * `close…` ends the step with whoever has answered, as the round's deadline does, and returns what to send next.
 * A step that leaves fewer silos than the threshold aborts the round with TOO_FEW_SURVIVORS; a silo whose shares
 * do not check out aborts it with INCONSISTENT_SHARES naming that silo.
 */
export class SecAggServer {
  private step: Step = 'advertise';
  private readonly floor: number;
  private readonly advertised = new Map<string, AdvertiseKeys>();
  private readonly shared = new Map<string, ShareKeys>();
  private readonly inputs = new Map<string, MaskedInput>();
  private readonly responses = new Map<string, UnmaskResponse>();
  private topo?: Topology;
  private maskSurvivors: string[] = [];
  private maskDropped: string[] = [];

  constructor(readonly config: RoundConfig) {
    checkConfig(config);
    this.floor = minimumSurvivors(config);
  }

  get currentStep(): Step {
    return this.step;
  }

  /** The fewest silos that must answer every step. */
  get minimumSurvivors(): number {
    return this.floor;
  }

  private expect(step: Step, silo: string): void {
    if (this.step !== step)
      throw new SecAggError(
        'MALFORMED_MESSAGE',
        `a "${step}" message from silo ${silo} while the round is at "${this.step}"`,
        silo,
      );
  }

  private abort(code: 'TOO_FEW_SURVIVORS' | 'INCONSISTENT_SHARES', message: string, silo?: string): never {
    this.step = 'aborted';
    throw new SecAggError(code, `round ${this.config.roundId} aborted: ${message}`, silo);
  }

  private needSurvivors(count: number, what: string): void {
    if (count < this.floor)
      this.abort(
        'TOO_FEW_SURVIVORS',
        `only ${count} of ${this.config.participants.length} silos ${what}; at least ${this.floor} are needed`,
      );
  }

  receiveAdvertise(message: AdvertiseKeys): void {
    this.expect('advertise', message.silo);
    if (!this.config.participants.includes(message.silo))
      throw new SecAggError('MALFORMED_MESSAGE', `silo ${message.silo} is not a participant`, message.silo);
    if (this.advertised.has(message.silo))
      throw new SecAggError('MALFORMED_MESSAGE', `silo ${message.silo} advertised keys twice`, message.silo);
    if (
      message.encryptionKey.byteLength !== X25519_KEY_BYTES ||
      message.maskingKey.byteLength !== X25519_KEY_BYTES
    )
      throw new SecAggError(
        'MALFORMED_MESSAGE',
        `silo ${message.silo}'s keys are not 32-byte X25519 keys`,
        message.silo,
      );
    if (same(message.encryptionKey, message.maskingKey))
      throw new SecAggError(
        'MALFORMED_MESSAGE',
        `silo ${message.silo} advertised one key for both uses`,
        message.silo,
      );
    this.advertised.set(message.silo, message);
  }

  closeAdvertise(): Roster {
    this.expect('advertise', '(server)');
    this.needSurvivors(this.advertised.size, 'advertised keys');
    const keys = [...this.advertised.values()].sort((a, b) => (a.silo < b.silo ? -1 : 1));
    this.topo = topology(this.config, keys);
    this.step = 'share';
    return { config: this.config, keys };
  }

  receiveShares(message: ShareKeys): void {
    this.expect('share', message.silo);
    const topo = this.topo as Topology;
    if (!this.advertised.has(message.silo))
      throw new SecAggError(
        'MALFORMED_MESSAGE',
        `silo ${message.silo} shares keys without having advertised`,
        message.silo,
      );
    if (this.shared.has(message.silo))
      throw new SecAggError('MALFORMED_MESSAGE', `silo ${message.silo} shared keys twice`, message.silo);
    const holders = topo.holders.get(message.silo) ?? [];
    const to = message.shares.map((s) => s.to).sort();
    if (to.join('\u0000') !== holders.join('\u0000') || message.shares.some((s) => s.from !== message.silo))
      throw new SecAggError(
        'MALFORMED_MESSAGE',
        `silo ${message.silo} must send one share to each of its holders (${holders.join(', ')})`,
        message.silo,
      );
    this.shared.set(message.silo, message);
  }

  /** What each silo that shared receives: the survivors of this step and the shares addressed to it. */
  closeShares(): Map<string, SharesFor> {
    this.expect('share', '(server)');
    this.needSurvivors(this.shared.size, 'shared their keys');
    const survivors = [...this.shared.keys()].sort();
    const out = new Map<string, SharesFor>();
    for (const s of survivors) out.set(s, { survivors, shares: [] });
    for (const message of this.shared.values())
      for (const share of message.shares) out.get(share.to)?.shares.push(share);
    this.step = 'mask';
    return out;
  }

  receiveMaskedInput(message: MaskedInput): void {
    this.expect('mask', message.silo);
    if (!this.shared.has(message.silo))
      throw new SecAggError(
        'MALFORMED_MESSAGE',
        `silo ${message.silo} sends an input without having shared keys`,
        message.silo,
      );
    if (this.inputs.has(message.silo))
      throw new SecAggError('MALFORMED_MESSAGE', `silo ${message.silo} sent its input twice`, message.silo);
    if (message.masked.length !== this.config.length)
      throw new SecAggError(
        'MALFORMED_MESSAGE',
        `silo ${message.silo}'s input has ${message.masked.length} words, the round ${this.config.length}`,
        message.silo,
      );
    this.inputs.set(message.silo, message);
  }

  closeMaskedInputs(): UnmaskRequest {
    this.expect('mask', '(server)');
    for (const input of this.inputs.values()) {
      const accused = input.complaints.find((c) => this.shared.has(c));
      if (accused !== undefined)
        this.abort(
          'INCONSISTENT_SHARES',
          `silo ${accused} sent silo ${input.silo} shares that do not match its commitments`,
          accused,
        );
    }
    this.needSurvivors(this.inputs.size, 'sent masked inputs');
    this.maskSurvivors = [...this.inputs.keys()].sort();
    this.maskDropped = [...this.shared.keys()].filter((s) => !this.inputs.has(s)).sort();
    this.step = 'unmask';
    return { survivors: this.maskSurvivors, dropped: this.maskDropped };
  }

  receiveUnmask(message: UnmaskResponse): void {
    this.expect('unmask', message.silo);
    if (!this.inputs.has(message.silo))
      throw new SecAggError(
        'MALFORMED_MESSAGE',
        `silo ${message.silo} answers the unmasking without an input in the sum`,
        message.silo,
      );
    if (this.responses.has(message.silo))
      throw new SecAggError(
        'MALFORMED_MESSAGE',
        `silo ${message.silo} answered the unmasking twice`,
        message.silo,
      );
    this.responses.set(message.silo, message);
  }

  /** Rebuilds the secrets the unmasking needs from the shares that check out, and returns the sum. */
  finish(): AggregateResult {
    this.expect('unmask', '(server)');
    const topo = this.topo as Topology;
    this.needSurvivors(this.responses.size, 'answered the unmasking');
    const misbehaving: AggregateResult['misbehaving'] = [];
    const flagged = new Set<string>();
    const sharesOf = (dealer: string, kind: 'selfMask' | 'maskingKey'): Share[] => {
      const commitments = new Map(this.shared.get(dealer)?.shares.map((s) => [s.to, s.commitments[kind]]));
      const valid: Share[] = [];
      for (const response of this.responses.values()) {
        if (flagged.has(response.silo)) continue;
        const list = kind === 'selfMask' ? response.selfMaskShares : response.maskingKeyShares;
        const given = list.find((s) => s.of === dealer);
        if (!given) continue;
        const committed = commitments.get(response.silo);
        const ok =
          committed !== undefined &&
          given.share.x === topo.point.get(response.silo) &&
          same(commitShare(this.config.roundId, dealer, response.silo, kind, given.share), committed);
        if (ok) valid.push(given.share);
        else {
          flagged.add(response.silo);
          misbehaving.push({
            silo: response.silo,
            reason: `gave back a ${kind} share of silo ${dealer} it was not dealt`,
          });
        }
      }
      return valid;
    };
    const rebuild = (dealer: string, kind: 'selfMask' | 'maskingKey'): Uint8Array => {
      const t = topo.threshold.get(dealer) ?? Infinity;
      const shares = sharesOf(dealer, kind);
      if (shares.length < t)
        this.abort(
          'TOO_FEW_SURVIVORS',
          `only ${shares.length} valid shares of silo ${dealer}'s ${kind === 'selfMask' ? 'self-mask seed' : 'masking key'} arrived; ${t} are needed`,
        );
      return combine(shares.slice(0, t), t, 32).secret;
    };
    const bits = this.config.bits;
    const sum = new Uint32Array(this.config.length);
    const acc = new Int32Array(sum.buffer);
    const m = bits === 32 ? -1 : 2 ** bits - 1;
    for (const silo of this.maskSurvivors) {
      const masked = this.inputs.get(silo)?.masked as Uint32Array;
      // Signed views keep the modular sum in V8's small-integer arithmetic.
      const words = new Int32Array(masked.buffer, masked.byteOffset, masked.length);
      for (let i = 0; i < acc.length; i++) acc[i] = (acc[i] + words[i]) & m;
    }
    // Collect every secret first, so a misbehaving holder found late cannot leave a half-unmasked sum behind.
    const seeds = new Map<string, Uint8Array>();
    for (const silo of this.maskSurvivors) seeds.set(silo, rebuild(silo, 'selfMask'));
    const keys = new Map<string, Uint8Array>();
    for (const silo of this.maskDropped) keys.set(silo, rebuild(silo, 'maskingKey'));
    for (const [silo, seed] of seeds) {
      const commitment = this.shared.get(silo)?.selfMaskCommitment ?? new Uint8Array(0);
      if (!same(commitSelfMask(this.config.roundId, silo, seed), commitment))
        this.abort(
          'INCONSISTENT_SHARES',
          `silo ${silo} dealt self-mask shares that do not rebuild its committed seed`,
          silo,
        );
      addMask(sum, deriveSeed(seed, selfMaskInfo(this.config.roundId, silo)), -1, bits);
    }
    const survivors = new Set(this.maskSurvivors);
    for (const [dropped, key] of keys) {
      const advertised = this.advertised.get(dropped)?.maskingKey ?? new Uint8Array(0);
      if (!same(publicKeyOf(key), advertised))
        this.abort(
          'INCONSISTENT_SHARES',
          `silo ${dropped} dealt masking-key shares that do not rebuild its advertised key`,
          dropped,
        );
      for (const other of topo.neighbours.get(dropped) ?? []) {
        if (!survivors.has(other)) continue;
        const peer = this.advertised.get(other)?.maskingKey ?? new Uint8Array(0);
        const seed = agree(key, peer, pairInfo(this.config.roundId, dropped, other));
        // The survivor added sign(other, dropped)·PRG; take it out.
        addMask(sum, seed, pairSign(other, dropped) === 1 ? -1 : 1, bits);
      }
    }
    this.step = 'done';
    return { sum, survivors: this.maskSurvivors, dropped: this.maskDropped, misbehaving };
  }
}

// Who holds whose shares and how many rebuild a secret: Bonawitz et al. 2017 §4 (t of n) on the SecAgg+ graph of Bell et al. 2020 §3.
import { createHash } from 'node:crypto';
import { SecAggError } from './errors.js';
import { neighbourhoods, secAggPlusDegree } from './graph.js';
import type { AdvertiseKeys, RoundConfig } from './messages.js';

export interface Topology {
  /** Advertised silos, sorted: a silo's Shamir point is its position + 1. */
  silos: string[];
  point: Map<string, number>;
  neighbours: Map<string, string[]>;
  /** Each silo's share holders: itself and its neighbours. */
  holders: Map<string, string[]>;
  /** Shares needed to rebuild each silo's secrets. */
  threshold: Map<string, number>;
}

export function checkConfig(config: RoundConfig): void {
  const fail = (m: string) => {
    throw new SecAggError('INVALID_PARAMETERS', m);
  };
  if (!(config.thresholdFraction > 0.5 && config.thresholdFraction <= 1))
    fail(`thresholdFraction must be above 1/2 and at most 1, got ${config.thresholdFraction}`);
  if (!Number.isInteger(config.length) || config.length < 1)
    fail(`length must be a positive integer, got ${config.length}`);
  if (!Number.isInteger(config.bits) || config.bits < 1 || config.bits > 32)
    fail(`bits must be an integer from 1 to 32, got ${config.bits}`);
  if (new Set(config.participants).size !== config.participants.length) fail('participants must be distinct');
  if (config.participants.length < 2) fail('secure aggregation needs at least 2 participants');
}

/** Fewest silos that must remain at every step: one silo's threshold in the round as invited. */
export function minimumSurvivors(config: RoundConfig): number {
  const k = resolveDegree(config.degree, config.participants.length);
  return Math.max(2, Math.ceil(config.thresholdFraction * (k + 1)));
}

function resolveDegree(degree: RoundConfig['degree'], n: number): number {
  if (degree === 'full') return n - 1;
  if (degree === 'secagg+') return secAggPlusDegree(n);
  return Math.min(degree, n - 1);
}

export function topology(config: RoundConfig, keys: readonly AdvertiseKeys[]): Topology {
  const silos = keys.map((k) => k.silo).sort();
  const digest = createHash('sha256').update(config.roundId);
  for (const k of [...keys].sort((a, b) => (a.silo < b.silo ? -1 : 1)))
    digest.update(k.silo).update(k.encryptionKey).update(k.maskingKey);
  const neighbours = neighbourhoods(silos, resolveDegree(config.degree, silos.length), digest.digest());
  const holders = new Map<string, string[]>();
  const threshold = new Map<string, number>();
  for (const s of silos) {
    const h = [s, ...(neighbours.get(s) ?? [])].sort();
    holders.set(s, h);
    threshold.set(s, Math.max(2, Math.ceil(config.thresholdFraction * h.length)));
  }
  return { silos, point: new Map(silos.map((s, i) => [s, i + 1])), neighbours, holders, threshold };
}

/** SecAgg's pairwise mask sign: the lower name adds, the higher subtracts, so each pair cancels. */
export function pairSign(self: string, other: string): 1 | -1 {
  return self < other ? 1 : -1;
}

/** HKDF info for the pair's mask seed: symmetric in the pair, bound to the round. */
export function pairInfo(roundId: string, a: string, b: string): string {
  const [x, y] = a < b ? [a, b] : [b, a];
  return `cohort/secagg/v1/pairwise-mask\u0000${roundId}\u0000${x}\u0000${y}`;
}

export function selfMaskInfo(roundId: string, silo: string): string {
  return `cohort/secagg/v1/self-mask\u0000${roundId}\u0000${silo}`;
}

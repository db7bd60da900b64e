import { SecAggClient } from './client.js';
import { SecAggError } from './errors.js';
import type { AggregateResult, RoundConfig, SharesFor } from './messages.js';
import { SecAggServer } from './server.js';
import { split, type Share } from './shamir.js';

type StepName = 'advertise' | 'share' | 'mask' | 'unmask';

interface Scenario {
  silos: number;
  degree?: RoundConfig['degree'];
  thresholdFraction?: number;
  bits?: number;
  length?: number;
  /** Silos that stop answering at a step (and every later one). */
  drop?: Partial<Record<StepName, string[]>>;
  inputs?: (silo: string, index: number) => Uint32Array;
  /** Lets a test tamper with messages in flight. */
  clients?: (config: RoundConfig) => Map<string, SecAggClient>;
  tamperShares?: (forwarded: Map<string, SharesFor>) => void;
  tamperUnmask?: (silo: string, r: ReturnType<SecAggClient['unmask']>) => void;
}

const names = (n: number) => Array.from({ length: n }, (_, i) => `silo-${String(i).padStart(3, '0')}`);

function defaultInput(length: number, bits: number) {
  return (_: string, index: number) =>
    Uint32Array.from({ length }, (_, i) => (index * 1_000_003 + i * 7919) % 2 ** (bits - 4));
}

function run(s: Scenario): {
  result: AggregateResult;
  inputs: Map<string, Uint32Array>;
  config: RoundConfig;
} {
  const bits = s.bits ?? 32;
  const length = s.length ?? 64;
  const config: RoundConfig = {
    roundId: 'job-1/round-1/nonce',
    bits,
    length,
    degree: s.degree ?? 'full',
    thresholdFraction: s.thresholdFraction ?? 2 / 3,
    participants: names(s.silos),
  };
  const server = new SecAggServer(config);
  const clients =
    s.clients?.(config) ?? new Map(config.participants.map((p) => [p, new SecAggClient(p, config)]));
  const gone = new Set<string>();
  const live = (step: StepName) => {
    for (const d of s.drop?.[step] ?? []) gone.add(d);
    return [...clients.values()].filter((c) => !gone.has(c.silo));
  };
  for (const c of live('advertise')) server.receiveAdvertise(c.advertise());
  const roster = server.closeAdvertise();
  const inRoster = new Set(roster.keys.map((k) => k.silo));
  for (const c of live('share')) if (inRoster.has(c.silo)) server.receiveShares(c.shareKeys(roster));
  const forwarded = server.closeShares();
  s.tamperShares?.(forwarded);
  const inputs = new Map<string, Uint32Array>();
  const input = s.inputs ?? defaultInput(length, bits);
  config.participants.forEach((p, i) => inputs.set(p, input(p, i)));
  for (const c of live('mask')) {
    const f = forwarded.get(c.silo);
    if (f) server.receiveMaskedInput(c.maskedInput(f, inputs.get(c.silo) as Uint32Array));
  }
  const request = server.closeMaskedInputs();
  const survivors = new Set(request.survivors);
  for (const c of live('unmask')) {
    if (!survivors.has(c.silo)) continue;
    const response = c.unmask(request);
    s.tamperUnmask?.(c.silo, response);
    server.receiveUnmask(response);
  }
  return { result: server.finish(), inputs, config };
}

/** The plain sum modulo 2^bits, computed independently of the protocol. */
function plainSum(inputs: Map<string, Uint32Array>, silos: readonly string[], bits: number, length: number) {
  const out = new Array<bigint>(length).fill(0n);
  for (const s of silos)
    inputs.get(s)?.forEach((v, i) => (out[i] = (out[i] + BigInt(v)) % (1n << BigInt(bits))));
  return Uint32Array.from(out, Number);
}

function expectCode(f: () => unknown, code: string, silo?: string): SecAggError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(SecAggError);
    expect((e as SecAggError).code).toBe(code);
    if (silo !== undefined) expect((e as SecAggError).silo).toBe(silo);
    return e as SecAggError;
  }
  throw new Error(`expected ${code}`);
}

describe('secure aggregation round (SecAgg / SecAgg+)', () => {
  it.each([
    ['SecAgg, 5 silos, 32 bits', { silos: 5, bits: 32 }],
    ['SecAgg, 7 silos, 20 bits', { silos: 7, bits: 20 }],
    ['SecAgg+, 40 silos', { silos: 40, degree: 'secagg+' as const, length: 16 }],
  ])('masks cancel exactly: %s', (_, scenario: Scenario) => {
    const { result, inputs, config } = run(scenario);
    expect(result.survivors).toEqual(config.participants);
    expect(result.dropped).toEqual([]);
    expect(result.sum).toEqual(plainSum(inputs, config.participants, config.bits, config.length));
  });

  it("the server sees one silo's masked input as uniform (chi-square over 256 buckets, p > 0.001)", () => {
    const length = 200_000;
    const bits = 16;
    // A strongly structured input: a constant, so any leak would pile the masked values into few buckets.
    const config: RoundConfig = {
      roundId: 'uniformity',
      bits,
      length,
      degree: 'full',
      thresholdFraction: 2 / 3,
      participants: names(3),
    };
    const server = new SecAggServer(config);
    const clients = config.participants.map((p) => new SecAggClient(p, config));
    for (const c of clients) server.receiveAdvertise(c.advertise());
    const roster = server.closeAdvertise();
    for (const c of clients) server.receiveShares(c.shareKeys(roster));
    const forwarded = server.closeShares();
    const masked = clients[0].maskedInput(
      forwarded.get(clients[0].silo) as SharesFor,
      new Uint32Array(length).fill(12345),
    ).masked;
    const counts = new Array<number>(256).fill(0);
    for (const v of masked) counts[v >> 8]++;
    const expected = length / 256;
    const chi = counts.reduce((a, c) => a + (c - expected) ** 2 / expected, 0);
    expect(chi).toBeLessThan(330.5); // χ²(255) at p = 0.001
    // And the low byte, where the constant input sits.
    const low = new Array<number>(256).fill(0);
    for (const v of masked) low[v & 0xff]++;
    expect(low.reduce((a, c) => a + (c - expected) ** 2 / expected, 0)).toBeLessThan(330.5);
  });

  describe('dropouts', () => {
    // 9 silos, threshold ⌈2/3 · 9⌉ = 6: up to n − t = 3 may drop.
    const n = 9;
    const all = names(n);
    it.each<[StepName, string[]]>([
      ['advertise', all.slice(0, 3)],
      ['share', all.slice(2, 5)],
      ['mask', all.slice(6, 9)],
      ['unmask', [all[0], all[4], all[8]]],
    ])('with n − t silos dropping at %s the sum of the rest is exact', (step, dropped) => {
      const { result, inputs, config } = run({ silos: n, drop: { [step]: dropped } });
      const included = step === 'unmask' ? all : all.filter((s) => !dropped.includes(s));
      expect(result.survivors).toEqual(included);
      if (step === 'mask') expect(result.dropped).toEqual(dropped);
      expect(result.sum).toEqual(plainSum(inputs, included, config.bits, config.length));
    });

    it('one silo dropping at every step still leaves an exact sum', () => {
      const { result, inputs, config } = run({
        silos: n,
        drop: { advertise: [all[0]], share: [all[1]], mask: [all[2]] },
      });
      const included = all.slice(3);
      expect(result.survivors).toEqual(included);
      expect(result.sum).toEqual(plainSum(inputs, included, config.bits, config.length));
    });

    it('SecAgg+ recovers dropped silos from their neighbours alone', () => {
      const silos = names(60);
      const { result, inputs, config } = run({
        silos: 60,
        degree: 'secagg+',
        length: 8,
        drop: { mask: [silos[3], silos[17], silos[42]] },
      });
      const included = silos.filter((s) => ![silos[3], silos[17], silos[42]].includes(s));
      expect(result.sum).toEqual(plainSum(inputs, included, config.bits, config.length));
    });

    it.each<[StepName]>([['advertise'], ['share'], ['mask'], ['unmask']])(
      'with more than n − t drops at %s the round aborts with the reason',
      (step) => {
        const e = expectCode(() => run({ silos: n, drop: { [step]: all.slice(0, 4) } }), 'TOO_FEW_SURVIVORS');
        expect(e.message).toMatch(/aborted: only 5 of 9 silos .*at least 6 are needed/);
      },
    );
  });

  describe('misbehaviour', () => {
    it('a silo whose shares do not match its commitments is named by their holder and the round aborts', () => {
      const e = expectCode(
        () =>
          run({
            silos: 5,
            tamperShares: (forwarded) => {
              const share = forwarded.get('silo-001')?.shares.find((s) => s.from === 'silo-003');
              if (share) share.ciphertext[20] ^= 1;
            },
          }),
        'INCONSISTENT_SHARES',
        'silo-003',
      );
      expect(e.message).toMatch(/silo silo-003 sent silo silo-001 shares that do not match/);
    });

    it('a silo that dealt shares of no one polynomial is named when they are used', () => {
      // It commits honestly to what it sends, so no holder notices: the rebuilt key is not the advertised one.
      const liar = (secret: Uint8Array, count: number, t: number): Share[] =>
        split(secret, count, t).map((s, i) => (i === 1 ? split(new Uint8Array(32).fill(7), count, t)[i] : s));
      const clients = (config: RoundConfig) =>
        new Map(
          config.participants.map((p) => [
            p,
            new SecAggClient(p, config, p === 'silo-002' ? liar : undefined),
          ]),
        );
      // A threshold of all five makes the rebuild of its self-mask seed use the bad share.
      expectCode(
        () => run({ silos: 5, thresholdFraction: 0.99, clients }),
        'INCONSISTENT_SHARES',
        'silo-002',
      );
    });

    it('a dropped silo that dealt bad shares is named when its masking key does not rebuild', () => {
      const liar = (secret: Uint8Array, count: number, t: number): Share[] =>
        split(secret, count, t).map((s, i) => (i === 0 ? { x: s.x, y: new Uint8Array(66).fill(1) } : s));
      const clients = (config: RoundConfig) =>
        new Map(
          config.participants.map((p) => [
            p,
            new SecAggClient(p, config, p === 'silo-008' ? liar : undefined),
          ]),
        );
      // Holder silo-000's share is bad and it answers first, so the rebuild uses it.
      expectCode(
        () => run({ silos: 9, clients, drop: { mask: ['silo-008'] } }),
        'INCONSISTENT_SHARES',
        'silo-008',
      );
    });

    it('a holder giving back a share it was not dealt is named, and the round goes on without it', () => {
      const { result, inputs, config } = run({
        silos: 9,
        drop: { mask: ['silo-008'] },
        tamperUnmask: (silo, response) => {
          if (silo === 'silo-001') response.maskingKeyShares[0].share.y[65] ^= 1;
        },
      });
      expect(result.misbehaving).toEqual([
        { silo: 'silo-001', reason: 'gave back a maskingKey share of silo silo-008 it was not dealt' },
      ]);
      expect(result.sum).toEqual(plainSum(inputs, result.survivors, config.bits, config.length));
    });

    it('a silo refuses to reveal both masks of one silo', () => {
      const config: RoundConfig = {
        roundId: 'r',
        bits: 32,
        length: 4,
        degree: 'full',
        thresholdFraction: 2 / 3,
        participants: names(3),
      };
      const server = new SecAggServer(config);
      const clients = config.participants.map((p) => new SecAggClient(p, config));
      for (const c of clients) server.receiveAdvertise(c.advertise());
      const roster = server.closeAdvertise();
      for (const c of clients) server.receiveShares(c.shareKeys(roster));
      const forwarded = server.closeShares();
      clients[0].maskedInput(forwarded.get('silo-000') as SharesFor, new Uint32Array(4));
      expectCode(() => clients[0].unmask({ survivors: names(3), dropped: ['silo-001'] }), 'UNSAFE_REQUEST');
    });

    it('refuses messages out of step and from outsiders', () => {
      const config: RoundConfig = {
        roundId: 'r',
        bits: 32,
        length: 4,
        degree: 'full',
        thresholdFraction: 2 / 3,
        participants: names(3),
      };
      const server = new SecAggServer(config);
      const outsider = new SecAggClient('silo-000', { ...config, participants: ['silo-000', 'mallory'] });
      expectCode(
        () => server.receiveAdvertise({ ...outsider.advertise(), silo: 'mallory' }),
        'MALFORMED_MESSAGE',
        'mallory',
      );
      expectCode(() => server.closeShares(), 'MALFORMED_MESSAGE');
    });
  });
});

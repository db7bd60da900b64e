import { parsePositiveInt } from '../output.js';
import { round3 as round } from './measure.js';
import type { BenchSuite } from './suite.js';

/** Bytes of a protobuf length-delimited field: tag, length varint, payload. */
function field(length: number): number {
  return 1 + Math.max(1, Math.ceil(Math.log2(length + 1) / 7)) + length;
}

const names = (n: number) => Array.from({ length: n }, (_, i) => `silo-${String(i).padStart(3, '0')}`);

interface RoundFigures {
  /** Slowest silo's own work (all silos work in parallel): key exchange, encoding, masking, unmasking answer. */
  siloMs: number;
  /** The aggregator's work: relaying, summing, rebuilding secrets and removing masks. */
  serverMs: number;
  /** Every party's work added up (what one machine would spend simulating the round). */
  totalMs: number;
  /** Per silo, on the wire: [advertise, share, masked input, unmask] message bytes (fields only, no gRPC framing). */
  bytes: { advertise: number; share: number; masked: number; unmask: number; total: number };
  exact: boolean;
}

/**
 * One secure-aggregation round in memory, every silo's work timed on its own: n silos, P parameters, `dropped`
 * silos vanishing after sharing their keys (their pairwise masks are then rebuilt from shares).
 */
async function secAggRound(
  n: number,
  parameters: number,
  degree: 'full' | 'secagg+',
  dropped: number,
): Promise<RoundFigures> {
  const { SecAggClient, SecAggServer, encodeInput, decodeSum, quantizationScale } =
    await import('@cohort/secagg');
  const participants = names(n);
  const config = {
    roundId: `bench/${n}/${degree}`,
    bits: 32,
    length: parameters + 1,
    degree,
    thresholdFraction: 2 / 3,
    participants,
  };
  const codec = {
    bits: 32,
    scale: quantizationScale({ bits: 32, silos: n, clipRange: 8 }),
    clipRange: 8,
    maxWeight: 1000,
    clipNorm: 0,
    noiseMu: 0,
  };
  const silo = new Map<string, number>(participants.map((p) => [p, 0]));
  const bytes = new Map<string, RoundFigures['bytes']>(
    participants.map((p) => [p, { advertise: 0, share: 0, masked: 0, unmask: 0, total: 0 }]),
  );
  let serverMs = 0;
  const timeSilo = <T>(p: string, fn: () => T): T => {
    const t = performance.now();
    const r = fn();
    silo.set(p, (silo.get(p) ?? 0) + performance.now() - t);
    return r;
  };
  const timeServer = <T>(fn: () => T): T => {
    const t = performance.now();
    const r = fn();
    serverMs += performance.now() - t;
    return r;
  };
  const update = (i: number) => new Float32Array(parameters).map((_, j) => 0.01 * Math.sin(i + j));
  const server = timeServer(() => new SecAggServer(config));
  const clients = participants.map((p) => new SecAggClient(p, config));
  for (const c of clients) {
    const m = timeSilo(c.silo, () => c.advertise());
    (bytes.get(c.silo) as RoundFigures['bytes']).advertise = field(m.silo.length) + 2 * field(32);
    timeServer(() => server.receiveAdvertise(m));
  }
  const roster = timeServer(() => server.closeAdvertise());
  for (const c of clients) {
    const m = timeSilo(c.silo, () => c.shareKeys(roster));
    (bytes.get(c.silo) as RoundFigures['bytes']).share =
      field(32) +
      m.shares.reduce(
        (a, s) =>
          a + field(s.from.length) + field(s.to.length) + field(s.ciphertext.byteLength) + 2 * field(32) + 2,
        0,
      );
    timeServer(() => server.receiveShares(m));
  }
  const forwarded = timeServer(() => server.closeShares());
  const gone = new Set(participants.slice(0, dropped));
  const inputs: Float64Array = new Float64Array(parameters);
  participants.forEach((p, i) => {
    if (gone.has(p)) return;
    const u = update(i);
    for (let j = 0; j < parameters; j++) inputs[j] += 0.1 * u[j];
  });
  clients.forEach((c, i) => {
    if (gone.has(c.silo)) return;
    // The update is training's output, not secure aggregation's work: made before the clock starts.
    const u = update(i);
    const m = timeSilo(c.silo, () =>
      c.maskedInput(forwarded.get(c.silo) as never, encodeInput(u, 100, codec)),
    );
    (bytes.get(c.silo) as RoundFigures['bytes']).masked = field(4 * m.masked.length) + 64;
    timeServer(() => server.receiveMaskedInput(m));
  });
  const request = timeServer(() => server.closeMaskedInputs());
  for (const c of clients) {
    if (gone.has(c.silo)) continue;
    const m = timeSilo(c.silo, () => c.unmask(request));
    (bytes.get(c.silo) as RoundFigures['bytes']).unmask = [...m.selfMaskShares, ...m.maskingKeyShares].reduce(
      (a, s) => a + field(s.of.length) + field(66) + 3,
      0,
    );
    timeServer(() => server.receiveUnmask(m));
  }
  const result = timeServer(() => server.finish());
  const decoded = timeServer(() => decodeSum(result.sum, codec));
  // Each survivor weighed 100/1000 = 0.1: the decoded sum is Σ 0.1·uᵢ, to one quantizer step per silo.
  let exact = true;
  for (let j = 0; j < parameters; j += Math.max(1, Math.floor(parameters / 1000)))
    if (Math.abs(decoded.sum[j] - inputs[j]) > (n + 1) / codec.scale) exact = false;
  const survivors = participants.filter((p) => !gone.has(p));
  const siloMs = Math.max(...survivors.map((p) => silo.get(p) ?? 0));
  const perSilo = bytes.get(survivors[0]) as RoundFigures['bytes'];
  perSilo.total = perSilo.advertise + perSilo.share + perSilo.masked + perSilo.unmask;
  const totalMs = serverMs + [...silo.values()].reduce((a, b) => a + b, 0);
  return { siloMs, serverMs, totalMs, bytes: perSilo, exact };
}

/** The enclave path for the same round: each silo seals its float32 update, the enclave opens and folds them. */
async function enclaveRound(
  n: number,
  parameters: number,
): Promise<{ siloMs: number; serverMs: number; sealedBytes: number }> {
  const { generateSealingKeyPair, seal, open, updateAad } = await import('@cohort/sealing');
  const { packFloat32, unpackFloat32 } = await import('@cohort/protocol');
  const { createMeanAccumulator } = await import('@cohort/aggregation');
  const enclave = await generateSealingKeyPair();
  const sealed: Buffer[] = [];
  let siloMs = 0;
  for (let i = 0; i < n; i++) {
    const u = packFloat32(new Float32Array(parameters).map((_, j) => 0.01 * Math.sin(i + j)));
    const t = performance.now();
    sealed.push(
      await seal(enclave.publicKeyRaw, u, updateAad({ jobId: 'bench', round: 1, siloId: `s${i}` })),
    );
    siloMs = Math.max(siloMs, performance.now() - t);
  }
  const t = performance.now();
  const acc = createMeanAccumulator(parameters);
  for (let i = 0; i < n; i++) {
    const opened = await open(enclave, sealed[i], updateAad({ jobId: 'bench', round: 1, siloId: `s${i}` }));
    acc.add(unpackFloat32(opened), 100);
  }
  acc.result();
  return { siloMs, serverMs: performance.now() - t, sealedBytes: sealed[0].byteLength };
}

async function benchSecAgg(o: {
  silos: number;
  parameters: number;
  curveParameters: number;
  curveMax: number;
  plot?: string;
}): Promise<Record<string, unknown>> {
  // Warm both paths (JIT, key import) on a small round first.
  await secAggRound(4, 1000, 'full', 0);
  await enclaveRound(4, 1000);
  const enclave = await enclaveRound(o.silos, o.parameters);
  const enclaveMs = enclave.siloMs + enclave.serverMs;
  const rows: Record<string, unknown> = {};
  for (const [name, dropped] of [
    ['noDropout', 0],
    ['oneDropout', 1],
  ] as const) {
    const r = await secAggRound(o.silos, o.parameters, 'full', dropped);
    const ms = r.siloMs + r.serverMs;
    rows[name] = {
      siloMs: round(r.siloMs),
      serverMs: round(r.serverMs),
      roundMs: round(ms),
      ratioToEnclave: round(ms / enclaveMs),
      exact: r.exact,
      bytesPerSilo: r.bytes,
      bytesRatioToPlainUpdate: round(r.bytes.masked / (4 * o.parameters)),
      keyMaterialBytes: r.bytes.advertise + r.bytes.share + r.bytes.unmask,
    };
  }
  const curve: Record<string, unknown>[] = [];
  for (const n of [10, 20, 40, 70, 100].filter((x) => x <= o.curveMax)) {
    const full = await secAggRound(n, o.curveParameters, 'full', 1);
    const plus = await secAggRound(n, o.curveParameters, 'secagg+', 1);
    const { secAggPlusDegree } = await import('@cohort/secagg');
    curve.push({
      silos: n,
      secAggPlusDegree: secAggPlusDegree(n),
      fullTotalMs: round(full.totalMs),
      plusTotalMs: round(plus.totalMs),
      fullSiloMs: round(full.siloMs),
      plusSiloMs: round(plus.siloMs),
      fullServerMs: round(full.serverMs),
      plusServerMs: round(plus.serverMs),
      fullKeyBytesPerSilo: full.bytes.advertise + full.bytes.share + full.bytes.unmask,
      plusKeyBytesPerSilo: plus.bytes.advertise + plus.bytes.share + plus.bytes.unmask,
      exact: full.exact && plus.exact,
    });
  }
  // Growth exponent of the total work between the smallest and largest n: 2 is quadratic.
  const first = curve[0] as { silos: number; fullTotalMs: number; plusTotalMs: number } | undefined;
  const last = curve.at(-1) as { silos: number; fullTotalMs: number; plusTotalMs: number } | undefined;
  const exponent = (a: number, b: number) =>
    first && last && last.silos > first.silos
      ? round(Math.log(b / a) / Math.log(last.silos / first.silos))
      : null;
  if (o.plot && curve.length > 0) {
    const { writeSecAggPlot } = await import('./secagg-plot.js');
    await writeSecAggPlot(o.plot, curve as unknown as Parameters<typeof writeSecAggPlot>[1]);
  }
  return {
    suite: 'secagg',
    silos: o.silos,
    parameters: o.parameters,
    enclave: {
      siloMs: round(enclave.siloMs),
      serverMs: round(enclave.serverMs),
      roundMs: round(enclaveMs),
      sealedBytesPerSilo: enclave.sealedBytes,
    },
    secagg: rows,
    curve: {
      parameters: o.curveParameters,
      dropped: 1,
      rows: curve,
      ...(o.plot ? { plot: o.plot } : {}),
      growthExponent:
        first && last
          ? {
              full: exponent(first.fullTotalMs, last.fullTotalMs),
              secaggPlus: exponent(first.plusTotalMs, last.plusTotalMs),
            }
          : null,
    },
    notes:
      'Times are CPU time of each party measured in one process (silos work in parallel, so a round costs the ' +
      'slowest silo plus the aggregator); bytes are protobuf field bytes of each message without gRPC framing.',
    targets: { ratioToEnclave: 3, bytesRatioToPlainUpdate: 1.1 },
  };
}

export const suite: BenchSuite = {
  description:
    'secure aggregation: added time per round against the enclave path, bytes per silo, SecAgg+ against SecAgg as n grows',
  options: [
    {
      flags: '--silos <n>',
      description: 'silos in the headline round',
      parse: parsePositiveInt('--silos'),
      default: 10,
    },
    {
      flags: '--parameters <n>',
      description: 'model size of the headline round',
      parse: parsePositiveInt('--parameters'),
      default: 1_000_000,
    },
    {
      flags: '--curve-parameters <n>',
      description: 'model size for the scaling curve',
      parse: parsePositiveInt('--curve-parameters'),
      default: 10_000,
    },
    {
      flags: '--curve-max <n>',
      description: 'largest federation on the scaling curve',
      parse: parsePositiveInt('--curve-max'),
      default: 100,
    },
    {
      flags: '--plot <file>',
      description: 'write the scaling curve as a PNG',
    },
  ],
  run: (o) =>
    benchSecAgg({
      silos: o.silos as number,
      parameters: o.parameters as number,
      curveParameters: o.curveParameters as number,
      curveMax: o.curveMax as number,
      plot: o.plot as string | undefined,
    }),
};

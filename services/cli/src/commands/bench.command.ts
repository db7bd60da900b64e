import type { Command } from 'commander';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { badArguments, parsePositiveInt, report } from '../output.js';

const SUITES = ['aggregate', 'aggregation', 'round', 'trust', 'privacy', 'audit', 'wire'] as const;
type Suite = (typeof SUITES)[number];

/** `cohort bench <suite>`: figures, not pass/fail tests; with --json the last line is one JSON object. */
export function registerBenchCommand(program: Command): void {
  program
    .command('bench')
    .description(`print benchmark figures: ${SUITES.join(', ')}`)
    .argument('<suite>', `one of ${SUITES.join(', ')}`)
    .option(
      '--parameters <n>',
      'aggregate, trust, wire: model size in parameters',
      parsePositiveInt('--parameters'),
      1_000_000,
    )
    .option('--updates <n>', 'aggregate: updates folded per round', parsePositiveInt('--updates'), 20)
    .option(
      '--rounds <n>',
      'round: federated rounds of the four-hospital federation',
      parsePositiveInt('--rounds'),
      10,
    )
    .option(
      '--entries <n>',
      'audit: entries appended by 64 concurrent appenders',
      parsePositiveInt('--entries'),
      20_000,
    )
    .option(
      '--database-url <url>',
      'audit: an empty, throwaway PostgreSQL database (entries written there can never be deleted); default PGlite in memory',
    )
    .option('--json', 'print one JSON object as the last line of standard output')
    .action(
      async (
        suite: string,
        o: {
          parameters: number;
          updates: number;
          rounds: number;
          entries: number;
          databaseUrl?: string;
          json?: boolean;
        },
      ) => {
        if (!SUITES.includes(suite as Suite))
          throw badArguments(`unknown suite "${suite}"; choose one of ${SUITES.join(', ')}`);
        const result =
          suite === 'aggregate'
            ? await benchAggregate(o.parameters, o.updates)
            : suite === 'aggregation'
              ? await benchAggregation()
              : suite === 'trust'
                ? await benchTrust(o.parameters)
                : suite === 'privacy'
                  ? await benchPrivacy()
                  : suite === 'audit'
                    ? await benchAuditSuite(o.entries, o.databaseUrl)
                    : suite === 'wire'
                      ? await benchWire(o.parameters)
                      : await benchRound(o.rounds);
        report(Boolean(o.json), result, () =>
          Object.entries(result)
            .map(([k, v]) => `${k}: ${JSON.stringify(v)}`)
            .join('\n'),
        );
      },
    );
}

/** Folding updates into the streaming weighted mean, and one server-optimiser step, at a given model size. */
async function benchAggregate(parameters: number, updates: number): Promise<Record<string, unknown>> {
  const { applyServerOptimizer, createMeanAccumulator } = await import('@cohort/aggregation');
  const update = new Float32Array(parameters).map((_, i) => Math.sin(i));
  const accumulator = createMeanAccumulator(parameters);
  const t0 = performance.now();
  for (let i = 0; i < updates; i++) accumulator.add(update, 100 + i);
  const mean = accumulator.result();
  const foldMs = performance.now() - t0;
  const t1 = performance.now();
  applyServerOptimizer('fedadam', {}, new Float32Array(parameters), mean, undefined);
  const fedAdamMs = performance.now() - t1;
  return {
    suite: 'aggregate',
    parameters,
    updates,
    foldMsPerUpdate: round(foldMs / updates),
    foldGBPerSecond: round((updates * parameters * 4) / (foldMs / 1000) / 1e9),
    fedAdamStepMs: round(fedAdamMs),
    peakRssMB: Math.round(process.memoryUsage().rss / 2 ** 20),
  };
}

/** The shapes of issue 5's figures: silos × parameters. */
const AGGREGATION_SHAPES: readonly (readonly [number, number])[] = [
  [10, 100_000],
  [10, 1_000_000],
  [100, 100_000],
  [100, 1_000_000],
];

/** Each rule's parameters in the figures; the others take the registry's defaults. */
const AGGREGATION_BENCH_PARAMS: Readonly<Record<string, Record<string, number>>> = {
  krum: { f: 1 },
  'multi-krum': { f: 1 },
  'trimmed-mean': { beta: 0.1 },
  'norm-bounding': { radius: 1 },
  'centered-clipping': { tau: 1 },
};

/** Example counts for silo i: uneven, as hospitals are, and the same in the NumPy baseline. */
const benchWeight = (i: number): number => 50 + ((i * 37) % 200);

/**
 * NumPy's arithmetic for the same shapes, in the same run: the baseline the Python frameworks inherit. Reads the
 * shapes as JSON on stdin, prints one JSON object of milliseconds (median after a warm-up) per shape.
 */
const NUMPY_BASELINE = `
import json, resource, sys, time
import numpy as np
shapes = json.load(sys.stdin)
def ms(f, runs):
    f()
    ts = []
    for _ in range(runs):
        t = time.perf_counter(); f(); ts.append(time.perf_counter() - t)
    ts.sort()
    return ts[len(ts) // 2] * 1000
def trimmed(x, beta):
    n = x.shape[0]; k = int(beta * n)
    part = np.partition(x, (k, n - k - 1), axis=0) if k > 0 else x
    return part[k:n - k].mean(axis=0)
out = []
for n, p in shapes:
    x = (np.random.default_rng(n * 7 + p).random((n, p), dtype=np.float32) - np.float32(0.5))
    w = np.array([50 + (i * 37) % 200 for i in range(n)])
    runs = 3 if n * p > 10_000_000 else 7
    out.append({
        "fedavg": ms(lambda: np.average(x, axis=0, weights=w), runs),
        "median": ms(lambda: np.median(x, axis=0), runs),
        "trimmed-mean": ms(lambda: trimmed(x, 0.1), runs),
    })
    del x
print(json.dumps({"numpy": np.__version__, "shapes": out,
                  "peakRssMB": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}))
`;

interface NumpyBaseline {
  numpy: string;
  shapes: Record<string, number>[];
  peakRssMB: number;
}

function numpyBaseline(shapes: readonly (readonly [number, number])[]): NumpyBaseline | string {
  const probe = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) return 'unavailable';
  const r = spawnSync('python3', ['-c', NUMPY_BASELINE], {
    input: JSON.stringify(shapes),
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  if (r.error || r.status !== 0) return `failed: ${(r.stderr || String(r.error)).trim().split('\n').pop()}`;
  return JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as NumpyBaseline;
}

/**
 * Issue 5's figures: every rule of the registry at N silos × P parameters, against NumPy's weighted average,
 * median and partition-based trimmed mean on the same shapes. Updates are generated once per shape and reused.
 */
async function benchAggregation(): Promise<Record<string, unknown>> {
  const { AGGREGATION_RULE_NAMES, aggregate } = await import('@cohort/aggregation');
  // Run first, while this process is small, so the two processes' peaks do not add up.
  const baseline = numpyBaseline(AGGREGATION_SHAPES);
  const numpy = typeof baseline === 'string' ? baseline : baseline.numpy;
  const shapes: Record<string, unknown>[] = [];
  for (const [s, [n, p]] of AGGREGATION_SHAPES.entries()) {
    // A linear congruential generator: deterministic, and fast enough to fill 10⁸ floats in well under a second.
    let seed = (n * 7 + p) | 0;
    const updates = Array.from({ length: n }, (_, i) => {
      const delta = new Float32Array(p);
      for (let k = 0; k < p; k++) {
        seed = (Math.imul(seed, 1664525) + 1013904223) | 0;
        delta[k] = (seed >>> 8) / 2 ** 24 - 0.5;
      }
      return { siloId: `silo-${i}`, delta, weight: benchWeight(i) };
    });
    const ms: Record<string, number> = {};
    for (const rule of AGGREGATION_RULE_NAMES) {
      const params = AGGREGATION_BENCH_PARAMS[rule] ?? {};
      const run = (): Promise<unknown> => Promise.resolve(aggregate(rule, updates, params));
      // Warm up for about 200 ms (at least one call) so the JIT and WebAssembly tier-up have settled before
      // timing; slow rules at the largest shapes then get one timed run, to keep the suite near a minute.
      let calls = 0;
      const t = performance.now();
      do {
        await run();
        calls++;
      } while (performance.now() - t < 200 && calls < 100);
      const warm = (performance.now() - t) / calls;
      ms[rule] = round(await medianMs(warm > 1500 ? 1 : warm > 300 ? 3 : 9, run, false));
    }
    const np = typeof baseline === 'string' ? undefined : baseline.shapes[s];
    const ratios =
      np === undefined
        ? undefined
        : Object.fromEntries(
            ['fedavg', 'median', 'trimmed-mean'].map((r) => [r, round(ms[r] / np[r])] as const),
          );
    shapes.push({
      silos: n,
      parameters: p,
      ms,
      ...(np === undefined ? {} : { numpyMs: mapValues(np, round), ratioToNumpy: ratios }),
      geometricMedianOverFedAvg: round(ms['geometric-median'] / ms.fedavg),
    });
  }
  const last = shapes[shapes.length - 1] as { ms: Record<string, number> };
  const ratioRows = shapes
    .map((x) => x.ratioToNumpy as Record<string, number> | undefined)
    .filter((x): x is Record<string, number> => x !== undefined);
  return {
    suite: 'aggregation',
    numpy,
    shapes,
    worstRatioToNumpy:
      ratioRows.length === 0 ? undefined : Math.max(...ratioRows.flatMap((r) => Object.values(r))),
    krumMsAt100x1M: last.ms.krum,
    worstGeometricMedianOverFedAvg: Math.max(...shapes.map((x) => x.geometricMedianOverFedAvg as number)),
    targets: { ratioToNumpy: 1, krumMsAt100x1M: 2000, geometricMedianOverFedAvg: 20 },
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    ...(typeof baseline === 'string' ? {} : { numpyPeakRssMB: baseline.peakRssMB }),
  };
}

function mapValues(o: Record<string, number>, f: (x: number) => number): Record<string, number> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, f(v)]));
}

/** The four-hospital federation on loopback: what a round costs beyond local training. */
async function benchRound(rounds: number): Promise<Record<string, unknown>> {
  const { runDemo } = await import('../demo/run-demo.js');
  const r = await runDemo({ rounds, model: 'logreg', quiet: true, home: '.cohort/bench-round' });
  return {
    suite: 'round',
    silos: 4,
    rounds: r.rounds,
    overheadMsPerRound: r.overheadMsPerRound,
    meanRoundMs: r.meanRoundMs,
    meanSlowestTrainMs: r.meanSlowestTrainMs,
    accuracy: r.metrics.accuracy,
    pooledAccuracy: r.pooledBaseline.metrics.accuracy,
  };
}

/**
 * The trust path of one update of `parameters` floats: seal + sign at the silo, verify + open at the aggregator
 * (host signature check, enclave HPKE open), and verifying an attestation token once its keys are known.
 */
async function benchTrust(parameters: number): Promise<Record<string, unknown>> {
  const { generateSealingKeyPair, seal, open, updateAad, SEALING_SCHEME } = await import('@cohort/sealing');
  const { loadOrCreateIdentityKey, signUpdate, verifyUpdate } = await import('@cohort/identity');
  const { InsecureDevAuthority, insecureDevVerifier, assertKeyBinding, x25519Jwk } =
    await import('@cohort/attestation');
  const { packFloat32, sha256 } = await import('@cohort/protocol');
  const dir = await mkdtemp(join(tmpdir(), 'cohort-bench-'));
  try {
    const identity = await loadOrCreateIdentityKey(dir);
    const enclave = await generateSealingKeyPair();
    const update = packFloat32(new Float32Array(parameters).map((_, i) => Math.sin(i) * 1e-3));
    const claims = { jobId: 'bench', round: 1, siloId: 'bench-silo' };
    const nonce = randomBytes(16);
    const signed = { ...claims, nonce, exampleCount: 100, sealing: SEALING_SCHEME };
    const silo = async (): Promise<{ sealed: Buffer; jws: string }> => {
      const sealed = await seal(enclave.publicKeyRaw, update, updateAad(claims));
      return { sealed, jws: await signUpdate(identity, { ...signed, payloadSha256: sha256(sealed) }) };
    };
    const aggregator = async (u: { sealed: Buffer; jws: string }): Promise<void> => {
      const digest = sha256(u.sealed);
      await verifyUpdate(u.jws, identity.publicKey, { ...signed, payloadSha256: digest });
      await open(enclave, u.sealed, updateAad(claims));
    };
    const sealMs = await medianMs(7, silo);
    const sample = await silo();
    const openMs = await medianMs(7, () => aggregator(sample));

    const authority = await InsecureDevAuthority.ephemeral();
    const verifier = insecureDevVerifier(authority.jwks());
    const tokenNonce = randomBytes(32);
    const token = await authority.issue(
      {
        measurement: 'ab'.repeat(32),
        component: 'bench',
        nonce: tokenNonce,
        boundKey: x25519Jwk(enclave.publicKeyRaw),
      },
      'cohort-federation',
    );
    const policy = {
      audience: 'cohort-federation',
      allowedMeasurements: ['ab'.repeat(32)],
      allowDebug: true,
      expectedNonce: tokenNonce,
    };
    const verifyToken = async (): Promise<void> => {
      await assertKeyBinding(await verifier.verify(token, policy), x25519Jwk(enclave.publicKeyRaw));
    };
    await verifyToken();
    const attestationMs = await medianMs(200, verifyToken);
    return {
      suite: 'trust',
      parameters,
      updateBytes: update.byteLength,
      sealedBytes: sample.sealed.byteLength,
      siloSealAndSignMs: round(sealMs),
      aggregatorVerifyAndOpenMs: round(openMs),
      attestationVerifyMs: round(attestationMs),
      targets: { siloSealAndSignMs: 30, aggregatorVerifyAndOpenMs: 30, attestationVerifyMs: 5 },
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * What per-example clipping costs: one DP-SGD step (Poisson sample q = 1, per-record clipped gradient sum) against
 * one plain SGD step on the same records, for the MLP template; and the accountant's calibration time.
 */
async function benchPrivacy(): Promise<Record<string, unknown>> {
  const { initTensorflow, trainLocal, dpGradientStep } = await import('@cohort/training');
  const { initialWeights } = await import('@cohort/model');
  const { calibrateNoiseMultiplier } = await import('@cohort/privacy');
  const { backend } = await initTensorflow();
  const rows: { model: string; records: number; plainStepMs: number; dpStepMs: number; ratio: number }[] = [];
  for (const hidden of [16, 64]) {
    for (const n of [256, 1024]) {
      const d = 13;
      const spec = { template: 'mlp', hiddenUnits: [hidden] };
      const x = Float32Array.from({ length: n * d }, (_, i) => Math.sin(i * 12.9898) * 2);
      const y = Float32Array.from({ length: n }, (_, i) => (Math.sin(i * 78.233) > 0 ? 1 : 0));
      const data = { x, y, n, d };
      const w = initialWeights(spec, d, 1);
      const plain = await medianMs(21, () =>
        trainLocal(spec, d, w, data, { epochs: 1, batchSize: n, learningRate: 0.1, seed: 1 }),
      );
      const dp = await medianMs(21, () =>
        dpGradientStep(spec, d, w, data, { samplingRate: 1, clipNorm: 1, seed: 1 }),
      );
      rows.push({
        model: `mlp[${hidden}]`,
        records: n,
        plainStepMs: round(plain),
        dpStepMs: round(dp),
        ratio: round(dp / plain),
      });
    }
  }
  const calibrateMs = await medianMs(5, () =>
    Promise.resolve(
      calibrateNoiseMultiplier({ targetEpsilon: 3, delta: 1e-3, samplingRate: 0.2, steps: 30 }),
    ),
  );
  return {
    suite: 'privacy',
    backend,
    perExampleClipping: rows,
    worstRatio: Math.max(...rows.map((r) => r.ratio)),
    target: { ratio: 3 },
    calibrateMs: round(calibrateMs),
  };
}

/**
 * The audit trail's costs: appends per second through the group-committing writer (many appenders, and one
 * awaiting each append), checkpoint signing, and verification per 100,000 entries.
 */
async function benchAuditSuite(
  entries: number,
  databaseUrl: string | undefined,
): Promise<Record<string, unknown>> {
  const { AuditError, benchAudit } = await import('@cohort/audit');
  const { openDatabase } = await import('@cohort/storage');
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw badArguments('--database-url must be a PostgreSQL URL such as postgres://user@host:5432/bench');
  }
  const database = databaseUrl === undefined ? undefined : await openDatabase({ url: databaseUrl });
  try {
    return { suite: 'audit', ...(await benchAudit({ entries, database })) };
  } catch (err) {
    // A database that already holds entries: the person has to point the bench at an empty one.
    if (err instanceof AuditError && err.code === 'INVALID_ARGUMENT') throw badArguments(err.message);
    throw err;
  } finally {
    await database?.close();
  }
}

/** Median wall time of `runs` calls, after one warm-up call unless the caller has already made it. */
/**
 * Bytes per update on the wire in each encoding at a model size, and the time to encode and decode. "wireBytes"
 * is the sealed payload plus each data chunk's gRPC (5 bytes) and protobuf (tag, length) framing; the header
 * chunk (a few hundred bytes, the same for every encoding) is left out.
 */
async function benchWire(parameters: number): Promise<Record<string, unknown>> {
  const { MAX_CHUNK_BYTES, chunkBytes, WeightsEncoding } = await import('@cohort/protocol');
  const { createRandom } = await import('@cohort/model');
  const { decodeUpdate, encodeUpdate, encodedLength } = await import('@cohort/quantization');
  const { sealedLength } = await import('@cohort/sealing');
  const varintBytes = (n: number): number => Math.max(1, Math.ceil(Math.log2(n + 1) / 7));
  const random = createRandom(1);
  // An update of a trained model's scale: small, of mixed sign and magnitude.
  const update = new Float32Array(parameters).map((_, i) => 0.01 * Math.sin(i) * (1 + (i % 7)));
  const encodings = {
    float32: WeightsEncoding.WEIGHTS_ENCODING_FLOAT32,
    float16: WeightsEncoding.WEIGHTS_ENCODING_FLOAT16,
    int8: WeightsEncoding.WEIGHTS_ENCODING_INT8_STOCHASTIC,
  };
  const figures: Record<string, unknown> = {};
  for (const [name, encoding] of Object.entries(encodings)) {
    const encoded = encodeUpdate(update, encoding, random);
    const encodeMs = await medianMs(5, () => Promise.resolve(encodeUpdate(update, encoding, random)));
    const decodeMs = await medianMs(5, () => Promise.resolve(decodeUpdate(encoded, encoding, parameters)));
    const decoded = decodeUpdate(encoded, encoding, parameters);
    let maxError = 0;
    for (let i = 0; i < parameters; i++) maxError = Math.max(maxError, Math.abs(decoded[i] - update[i]));
    const sealed = sealedLength(encodedLength(encoding, parameters));
    const chunks = chunkBytes(new Uint8Array(sealed));
    const wireBytes = chunks.reduce((sum, c) => sum + 5 + 1 + varintBytes(c.byteLength) + c.byteLength, 0);
    figures[name] = {
      plaintextBytes: encoded.byteLength,
      sealedBytes: sealed,
      wireBytes,
      chunks: chunks.length,
      ratioTo4P: round(wireBytes / (4 * parameters)),
      ratioToP: round(wireBytes / parameters),
      encodeMs: round(encodeMs),
      decodeMs: round(decodeMs),
      maxAbsError: maxError,
    };
  }
  return {
    suite: 'wire',
    parameters,
    maxChunkBytes: MAX_CHUNK_BYTES,
    encodings: figures,
    targets: { float32RatioTo4P: 1.02, int8RatioToP: 1.02 },
  };
}

async function medianMs(runs: number, fn: () => Promise<unknown>, warmUp = true): Promise<number> {
  if (warmUp) await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

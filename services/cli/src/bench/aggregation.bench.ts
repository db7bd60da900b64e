import { spawnSync } from 'node:child_process';
import { medianMs, round3 as round } from './measure.js';
import type { BenchSuite } from './suite.js';

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

export const suite: BenchSuite = {
  description: 'every aggregation rule at 10-100 silos x 100k-1M parameters, against NumPy',
  run: () => benchAggregation(),
};

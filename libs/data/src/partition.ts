// Splitting one dataset's rows across virtual silos for simulation: IID, and label-skewed non-IID by a
// Dirichlet(α) draw per class (Hsu, Qi and Brown 2019, "Measuring the Effects of Non-Identical Data
// Distribution for Federated Visual Classification", the split Flower and FedLab call DirichletPartitioner).
import { mulberry32 } from './prng.js';

function shuffled(indices: number[], random: () => number): number[] {
  const out = [...indices];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

function checkSilos(rows: number, silos: number): void {
  if (!Number.isInteger(silos) || silos < 1) throw new RangeError(`silos must be a positive integer, got ${silos}`);
  if (rows < silos) throw new RangeError(`${rows} rows cannot give each of ${silos} silos at least one`);
}

/** Row indices dealt round-robin after one seeded shuffle: sizes differ by at most one. */
export function iidPartition(rows: number, silos: number, seed: number): number[][] {
  checkSilos(rows, silos);
  const order = shuffled(
    Array.from({ length: rows }, (_, i) => i),
    mulberry32(seed),
  );
  const parts: number[][] = Array.from({ length: silos }, () => []);
  order.forEach((row, k) => parts[k % silos].push(row));
  return parts.map((p) => p.sort((a, b) => a - b));
}

/** Gamma(shape, 1) by Marsaglia and Tsang (2000); shapes below 1 through Gamma(shape + 1)·U^(1/shape). */
export function sampleGamma(shape: number, random: () => number): number {
  if (!(shape > 0)) throw new RangeError(`the gamma shape must be positive, got ${shape}`);
  if (shape < 1) return sampleGamma(shape + 1, random) * Math.pow(random() || Number.MIN_VALUE, 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      // Box-Muller: one standard normal from two uniforms.
      x = Math.sqrt(-2 * Math.log(random() || Number.MIN_VALUE)) * Math.cos(2 * Math.PI * random());
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = random();
    if (u < 1 - 0.0331 * x ** 4 || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/** One draw from Dirichlet(α, …, α) over `k` categories. */
export function sampleDirichlet(k: number, alpha: number, random: () => number): number[] {
  const g = Array.from({ length: k }, () => sampleGamma(alpha, random));
  const sum = g.reduce((a, b) => a + b, 0);
  return g.map((x) => x / sum);
}

/**
 * For each class, the share of its rows each silo gets is a Dirichlet(α) draw: small α gives each silo a few
 * classes, large α approaches IID. Draws repeat (up to 100 times) until every silo holds at least `minRows`
 * rows, as the usual implementations do, so no virtual silo is empty.
 */
export function dirichletPartition(
  labels: ArrayLike<number>,
  silos: number,
  alpha: number,
  seed: number,
  minRows = 1,
): number[][] {
  checkSilos(labels.length, silos);
  if (!(alpha > 0)) throw new RangeError(`alpha must be positive, got ${alpha}`);
  if (minRows * silos > labels.length) {
    throw new RangeError(`${labels.length} rows cannot give each of ${silos} silos ${minRows} rows`);
  }
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const members = byClass.get(labels[i]) ?? [];
    members.push(i);
    byClass.set(labels[i], members);
  }
  const classes = [...byClass.keys()].sort((a, b) => a - b);
  const random = mulberry32(seed);
  for (let attempt = 0; attempt < 100; attempt++) {
    const parts: number[][] = Array.from({ length: silos }, () => []);
    for (const cls of classes) {
      const members = shuffled(byClass.get(cls) ?? [], random);
      const shares = sampleDirichlet(silos, alpha, random);
      // Cumulative cut points, so the rounding never loses or duplicates a row.
      let start = 0;
      let cumulative = 0;
      for (let s = 0; s < silos; s++) {
        cumulative += shares[s];
        const end = s === silos - 1 ? members.length : Math.round(cumulative * members.length);
        parts[s].push(...members.slice(start, end));
        start = end;
      }
    }
    if (parts.every((p) => p.length >= minRows)) return parts.map((p) => p.sort((a, b) => a - b));
  }
  throw new RangeError(
    `no Dirichlet(${alpha}) split in 100 draws gave each of ${silos} silos ${minRows} rows; raise alpha or use fewer silos`,
  );
}

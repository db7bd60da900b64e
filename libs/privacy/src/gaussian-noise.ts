// The Gaussian mechanism's noise (Dwork & Roth 2014, §A): N(0, stddev²) per coordinate, by Box–Muller.
import { randomBytes } from 'node:crypto';

const BLOCK = 4096;

/**
 * Uniform doubles in (0, 1] from the operating system's CSPRNG: noise an observer could predict would be no
 * protection at all, so there is deliberately no seed here (tests check the distribution instead).
 */
function* uniforms(): Generator<number> {
  for (;;) {
    const bytes = randomBytes(BLOCK * 8);
    for (let i = 0; i < BLOCK; i++) {
      // 53 random bits → a double in [0, 1); 1 − u is then in (0, 1], safe for log.
      const hi = bytes.readUInt32LE(i * 8) >>> 5;
      const lo = bytes.readUInt32LE(i * 8 + 4) >>> 6;
      yield 1 - (hi * 67108864 + lo) / 9007199254740992;
    }
  }
}

/** Returns a new vector: `values` plus independent N(0, stddev²) noise on every coordinate. */
export function addGaussianNoise(values: Float32Array, stddev: number): Float32Array {
  if (!(stddev >= 0) || !Number.isFinite(stddev))
    throw new RangeError(`noise stddev must be finite and ≥ 0, got ${stddev}`);
  const out = new Float32Array(values);
  if (stddev === 0) return out;
  const u = uniforms();
  for (let i = 0; i < out.length; i += 2) {
    const r = Math.sqrt(-2 * Math.log(u.next().value as number)) * stddev;
    const theta = 2 * Math.PI * (u.next().value as number);
    out[i] += r * Math.cos(theta);
    if (i + 1 < out.length) out[i + 1] += r * Math.sin(theta);
  }
  return out;
}

/** Scales `values` to ℓ2 norm at most `clipNorm`; returns the copy and the norm before clipping. */
export function clipToNorm(values: Float32Array, clipNorm: number): { clipped: Float32Array; norm: number } {
  let sq = 0;
  for (let i = 0; i < values.length; i++) sq += values[i] * values[i];
  const norm = Math.sqrt(sq);
  const scale = norm > clipNorm ? clipNorm / norm : 1;
  const clipped = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) clipped[i] = values[i] * scale;
  return { clipped, norm };
}

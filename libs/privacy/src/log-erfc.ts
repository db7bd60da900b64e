// log(erfc(x)) accurate far into the tails, for the fractional-order series of Mironov, Talwar, Zhang 2019
// (Sec. 3.3), whose terms multiply huge binomial factors by erfc values far below the double range.

const LOG_SQRT_PI = 0.5 * Math.log(Math.PI);
const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);
/** Below this the power series of erf is exact to a few ulps; above it the continued fraction converges in < 60 terms. */
const SERIES_LIMIT = 2;
const EPS = 1e-16;
const MAX_TERMS = 500;

/** erf(x) for 0 <= x < 2 from the all-positive series erf(x) = 2/√π e^{-x²} Σ 2ⁿ x^{2n+1} / (2n+1)!!, so no cancellation. */
function erfSeries(x: number): number {
  const x2 = x * x;
  let term = x;
  let sum = x;
  for (let n = 0; n < MAX_TERMS; n++) {
    term *= (2 * x2) / (2 * n + 3);
    sum += term;
    if (term < EPS * sum) break;
  }
  return TWO_OVER_SQRT_PI * Math.exp(-x2) * sum;
}

/**
 * log(√π e^{x²} erfc(x)) for x >= 2, from the continued fraction erfc(x) = e^{-x²}/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …))))
 * evaluated with the modified Lentz method; working in log space keeps it finite where erfc underflows.
 */
function logScaledErfcFraction(x: number): number {
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let k = 1; k < MAX_TERMS; k++) {
    const a = k / 2;
    d = x + a * d;
    if (d === 0) d = tiny;
    c = x + a / c;
    if (c === 0) c = tiny;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < EPS) break;
  }
  return -Math.log(f);
}

/** erfc(x) for x >= 0. */
function erfcNonNegative(x: number): number {
  if (x < SERIES_LIMIT) return 1 - erfSeries(x);
  return Math.exp(-x * x - LOG_SQRT_PI + logScaledErfcFraction(x));
}

/** log(erfc(x)), finite for every finite x (erfc(40) ≈ 1e-697 is far below the smallest double). */
export function logErfc(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (x === Infinity) return -Infinity;
  if (x === -Infinity) return Math.LN2;
  if (x < 0) return Math.log(2 - erfcNonNegative(-x));
  if (x < SERIES_LIMIT) return Math.log(erfcNonNegative(x));
  return -x * x - LOG_SQRT_PI + logScaledErfcFraction(x);
}

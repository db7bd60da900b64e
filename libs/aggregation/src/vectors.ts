// Input checks shared by the aggregation rules: a bad value is refused before any state changes.
import { AggregationError } from './errors.js';

/** Throws LENGTH_MISMATCH unless `values` has exactly `expected` entries. */
export function assertLength(what: string, values: ArrayLike<number>, expected: number): void {
  if (values.length !== expected) {
    throw new AggregationError(
      'LENGTH_MISMATCH',
      `${what} has ${values.length} values, expected ${expected}`,
    );
  }
}

/**
 * Throws NON_FINITE_VALUE at the first NaN or ±Infinity; one NaN from a diverged site would otherwise
 * poison every coordinate it touches in the global model.
 */
export function assertFinite(what: string, values: ArrayLike<number>): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      throw new AggregationError(
        'NON_FINITE_VALUE',
        `${what} has a non-finite value (${values[i]}) at index ${i}`,
      );
    }
  }
}

/** Throws INVALID_PARAMETER unless `value` is a finite number in [min, max) (or [min, max] when inclusive). */
export function assertInRange(
  name: string,
  value: number,
  min: number,
  max: number,
  opts: { minExclusive?: boolean; maxInclusive?: boolean } = {},
): void {
  const aboveMin = opts.minExclusive ? value > min : value >= min;
  const belowMax = opts.maxInclusive ? value <= max : value < max;
  if (!Number.isFinite(value) || !aboveMin || !belowMax) {
    const lo = `${opts.minExclusive ? '(' : '['}${min}`;
    const hi = `${max}${opts.maxInclusive ? ']' : ')'}`;
    throw new AggregationError('INVALID_PARAMETER', `${name} must be in ${lo}, ${hi}; got ${value}`);
  }
}

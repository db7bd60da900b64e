import type { ColumnType } from './schema.js';

// Stricter than Number(): no hex, no "Infinity", no empty string meaning 0.
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

export type CellOutcome = { ok: true; value: number } | { ok: false; reason: string };

/** Parses a non-missing cell as the column's type. */
export function parseCell(text: string, column: string, type: ColumnType): CellOutcome {
  const value = DECIMAL.test(text) ? Number(text) : Number.NaN;
  if (!Number.isFinite(value)) return { ok: false, reason: `column "${column}": "${text}" is not a number` };
  if (type === 'integer' && !Number.isInteger(value)) {
    return { ok: false, reason: `column "${column}": "${text}" is not an integer` };
  }
  return { ok: true, value };
}

/**
 * Decides whether a cell means "no value". A numeric marker also matches the same number written
 * differently ("0" matches "0.0"), since exports differ in how they print numbers.
 */
export function missingMatcher(markers: readonly string[]): (text: string) => boolean {
  const texts = new Set(markers.map((m) => m.trim()));
  const numbers = new Set(
    markers.map((m) => m.trim()).filter((m) => DECIMAL.test(m)).map(Number),
  );
  return (text) => texts.has(text) || (numbers.size > 0 && DECIMAL.test(text) && numbers.has(Number(text)));
}

// The audit trail must never become a side channel for patient data. No rule can recognise a record in
// general, so this guard bounds the shapes that could smuggle one: deep structures, long strings, long lists,
// wide objects, and lists of numbers (a feature vector or a column of values looks exactly like that).
import { AuditError } from './audit-error.js';
import type { JsonObject } from './canonical-json.js';
import { checkDetails } from './entry.js';

/** Limits sanitizeDetails enforces. The details object itself is level 1. */
export const DETAILS_LIMITS = Object.freeze({
  maxDepth: 3,
  maxStringLength: 2000,
  maxArrayItems: 64,
  maxObjectKeys: 64,
});

/**
 * Returns a normalised copy of `details`, or throws DETAILS_INVALID naming the offending path when they are
 * not a plain JSON object or break a limit: objects or arrays nested beyond level 3 (`{a:{b:{c:1}}}` is the
 * deepest allowed), strings or keys over 2,000 characters, arrays over 64 items, objects over 64 keys, or
 * any array holding a number. AuditLog.append applies it to every entry.
 */
export function sanitizeDetails(details: unknown): JsonObject {
  const copy = checkDetails(details);
  inspect(copy, '$', 1);
  return copy;
}

function inspect(value: unknown, path: string, level: number): void {
  if (typeof value === 'string') {
    if (value.length > DETAILS_LIMITS.maxStringLength) {
      throw refuse(
        path,
        `is a string of ${value.length} characters (at most ${DETAILS_LIMITS.maxStringLength})`,
      );
    }
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  if (level > DETAILS_LIMITS.maxDepth) {
    throw refuse(path, `nests beyond level ${DETAILS_LIMITS.maxDepth}; record a summary, not a structure`);
  }
  if (Array.isArray(value)) {
    if (value.length > DETAILS_LIMITS.maxArrayItems) {
      throw refuse(path, `is an array of ${value.length} items (at most ${DETAILS_LIMITS.maxArrayItems})`);
    }
    const numeric = value.findIndex((item) => typeof item === 'number');
    if (numeric >= 0) {
      throw refuse(
        `${path}[${numeric}]`,
        'is a number inside an array; arrays of numbers could carry record values, so record a count or summary',
      );
    }
    value.forEach((item, i) => inspect(item, `${path}[${i}]`, level + 1));
    return;
  }
  const keys = Object.keys(value);
  if (keys.length > DETAILS_LIMITS.maxObjectKeys) {
    throw refuse(path, `has ${keys.length} keys (at most ${DETAILS_LIMITS.maxObjectKeys})`);
  }
  for (const key of keys) {
    inspect(key, `${path} key`, level);
    inspect((value as JsonObject)[key], `${path}.${key}`, level + 1);
  }
}

function refuse(path: string, problem: string): AuditError {
  return new AuditError('DETAILS_INVALID', `details ${path} ${problem}`);
}

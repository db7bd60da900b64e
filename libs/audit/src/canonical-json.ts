// One text per JSON value, so an entry's details hash the same wherever they were parsed: object keys sorted
// by UTF-16 code units, no whitespace, strings and numbers exactly as ECMAScript's JSON.stringify writes them.
// For the values accepted here (finite numbers, plain objects and arrays) this is RFC 8785 (JCS).
import { AuditError } from './audit-error.js';

export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

// Deeper than any details we accept (the privacy guard stops at 3); the bound turns a cycle or a hostile
// structure into an error instead of a stack overflow.
const MAX_DEPTH = 64;

/**
 * The canonical JSON text of `value`. Throws DETAILS_INVALID for anything JSON cannot carry exactly:
 * undefined, functions, symbols, bigints, NaN and ±Infinity, and objects that are not plain (Date, Map,
 * Buffer, class instances), naming the path of the offending value.
 */
export function canonicalJson(value: unknown): string {
  return encode(value, '$', 0);
}

/** True for `{}`-style objects from any realm (a vm context's Object.prototype included) and null-prototype ones. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === null || Object.getPrototypeOf(proto) === null;
}

function encode(value: unknown, path: string, depth: number): string {
  if (depth > MAX_DEPTH) throw invalid(path, `nests deeper than ${MAX_DEPTH} levels (or is cyclic)`);
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw invalid(path, `is ${String(value)}, which JSON cannot represent`);
      return JSON.stringify(value);
    case 'object': {
      if (value === null) return 'null';
      if (Array.isArray(value)) {
        const items: string[] = [];
        for (let i = 0; i < value.length; i++) {
          // A hole would silently become null; refusing keeps what is hashed what the caller wrote.
          if (!(i in value)) throw invalid(`${path}[${i}]`, 'is a hole in a sparse array');
          items.push(encode(value[i], `${path}[${i}]`, depth + 1));
        }
        return `[${items.join(',')}]`;
      }
      if (!isPlainObject(value)) {
        const kind = (value as { constructor?: { name?: string } }).constructor?.name ?? 'object';
        throw invalid(path, `is a ${kind}, not a plain JSON object`);
      }
      const keys = Object.keys(value).sort();
      const members: string[] = [];
      for (const key of keys) {
        members.push(`${JSON.stringify(key)}:${encode(value[key], `${path}.${key}`, depth + 1)}`);
      }
      return `{${members.join(',')}}`;
    }
    default:
      throw invalid(path, `is a ${typeof value}, which JSON cannot represent`);
  }
}

function invalid(path: string, problem: string): AuditError {
  return new AuditError('DETAILS_INVALID', `details ${path} ${problem}`);
}

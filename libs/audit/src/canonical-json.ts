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
  try {
    return encode(value, 0);
  } catch (error) {
    if (error instanceof Refusal) {
      throw new AuditError('DETAILS_INVALID', `details $${error.path.join('')} ${error.problem}`);
    }
    throw error;
  }
}

/** True for `{}`-style objects from any realm (a vm context's Object.prototype included) and null-prototype ones. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === null || Object.getPrototypeOf(proto) === null;
}

// The path of a refused value is assembled while the refusal unwinds, so encoding valid values (every
// entry verification does) never builds path strings.
class Refusal extends Error {
  readonly path: string[] = [];
  constructor(readonly problem: string) {
    super(problem);
  }
}

function encode(value: unknown, depth: number): string {
  if (depth > MAX_DEPTH) throw new Refusal(`nests deeper than ${MAX_DEPTH} levels (or is cyclic)`);
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new Refusal(`is ${String(value)}, which JSON cannot represent`);
      // For finite numbers String() is JSON.stringify's number form (ECMAScript Number::toString).
      return String(value);
    case 'object': {
      if (value === null) return 'null';
      if (Array.isArray(value)) return encodeArray(value, depth);
      if (!isPlainObject(value)) {
        const kind = (value as { constructor?: { name?: string } }).constructor?.name ?? 'object';
        throw new Refusal(`is a ${kind}, not a plain JSON object`);
      }
      return encodeObject(value, depth);
    }
    default:
      throw new Refusal(`is a ${typeof value}, which JSON cannot represent`);
  }
}

function encodeArray(value: unknown[], depth: number): string {
  let out = '[';
  for (let i = 0; i < value.length; i++) {
    // A hole would silently become null; refusing keeps what is hashed what the caller wrote.
    if (!(i in value)) throw withStep(new Refusal('is a hole in a sparse array'), `[${i}]`);
    try {
      out += (i === 0 ? '' : ',') + encode(value[i], depth + 1);
    } catch (error) {
      throw withStep(error, `[${i}]`);
    }
  }
  return out + ']';
}

// Details reuse a small vocabulary of keys (jobId, siloId, round …); quoting each once saves a JSON.stringify
// per key per entry when a long log is verified.
const quotedKeys = new Map<string, string>();
const MAX_QUOTED_KEYS = 4096;

function quoteKey(key: string): string {
  let quoted = quotedKeys.get(key);
  if (quoted === undefined) {
    quoted = JSON.stringify(key);
    if (quotedKeys.size < MAX_QUOTED_KEYS) quotedKeys.set(key, quoted);
  }
  return quoted;
}

function encodeObject(value: Record<string, unknown>, depth: number): string {
  const keys = Object.keys(value);
  if (keys.length > 1) keys.sort();
  let out = '{';
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    try {
      out += (i === 0 ? '' : ',') + quoteKey(key) + ':' + encode(value[key], depth + 1);
    } catch (error) {
      throw withStep(error, `.${key}`);
    }
  }
  return out + '}';
}

function withStep(error: unknown, step: string): unknown {
  if (error instanceof Refusal) error.path.unshift(step);
  return error;
}

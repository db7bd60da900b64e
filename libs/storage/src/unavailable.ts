// Whether a failure means the database could not be reached (a restart, a dropped link), as opposed to a statement
// it refused. SQLSTATE classes per PostgreSQL's Appendix A "PostgreSQL Error Codes": 08 (connection exception) and
// 57P01–57P03 (operator intervention: admin/crash shutdown, cannot connect now).
import { StorageError } from './errors.js';

const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03']);
const UNAVAILABLE_NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTCONN']);
// node-postgres reports a socket that closed under a query without a code; these are its own fixed messages.
const UNAVAILABLE_MESSAGES = [
  /^Connection terminated/,
  /^Client has encountered a connection error/,
  /^Client was closed and is not queryable/,
  /^timeout exceeded when trying to connect/,
];

/**
 * True when `err` (or an error it wraps as `cause`, or one of an AggregateError's) says the database was
 * unreachable: the work can be retried once it is back, nothing it refused needs fixing.
 */
export function isDatabaseUnavailable(err: unknown, depth = 0): boolean {
  if (depth > 4 || typeof err !== 'object' || err === null) return false;
  const { code, message, cause } = err as { code?: unknown; message?: unknown; cause?: unknown };
  if (err instanceof StorageError) return err.code === 'CONNECTION_FAILED';
  if (typeof code === 'string') {
    if (code.startsWith('08') && code.length === 5) return true;
    if (UNAVAILABLE_SQLSTATES.has(code) || UNAVAILABLE_NODE_CODES.has(code)) return true;
  }
  if (typeof message === 'string' && UNAVAILABLE_MESSAGES.some((m) => m.test(message))) return true;
  if (err instanceof AggregateError && err.errors.some((e) => isDatabaseUnavailable(e, depth + 1)))
    return true;
  return cause !== undefined && isDatabaseUnavailable(cause, depth + 1);
}

// Realm-independent error inspection: `instanceof` fails for errors created in another V8 context (Node's own
// errno and fetch errors seen inside jest's vm context), so these read the fields instead.

import { errorCodeOf, messageOf } from '@cohort/identity';

export { errorCodeOf, messageOf };

/**
 * A person-readable reason for a failed request: fetch reports every network failure as "fetch failed" and
 * keeps the useful part (ECONNREFUSED, a certificate error) in its cause.
 */
export function reasonOf(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'name' in error) {
    if (error.name === 'TimeoutError' || errorCodeOf(error) === 'ERR_JWKS_TIMEOUT')
      return 'no answer within the fetch timeout';
  }
  const message = messageOf(error);
  const cause = typeof error === 'object' && error !== null && 'cause' in error ? error.cause : undefined;
  if (cause === undefined || cause === null) return message;
  const code = errorCodeOf(cause);
  const detail = code ?? messageOf(cause);
  return detail === '' || detail === message ? message : `${message} (${detail})`;
}

// Realm-independent error inspection: `instanceof` fails for errors created in another V8 context (Node's own
// errno and fetch errors seen inside jest's vm context), so these read the fields instead.

/** The string `code` of an error (a Node errno such as ENOENT, a jose ERR_JWT_… code), if it has one. */
export function errorCodeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  return typeof error.code === 'string' ? error.code : undefined;
}

/** The message of any thrown value. */
export function messageOf(error: unknown): string {
  if (
    typeof error === 'object' &&
    error !== null &&
    'message' in error &&
    typeof error.message === 'string'
  ) {
    return error.message;
  }
  return String(error);
}

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

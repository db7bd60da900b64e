// Realm-independent type checks: `instanceof` fails for values created in another V8 context (a Buffer or an
// errno error from Node's core seen inside a vm context such as jest's), so these look at tags instead.

/** True for any Uint8Array, Buffer included, whichever context created it. */
export function isBytes(value: unknown): value is Uint8Array {
  return ArrayBuffer.isView(value) && Object.prototype.toString.call(value) === '[object Uint8Array]';
}

/** The string `code` of an error (a Node errno such as ENOENT, a jose ERR_JWS_… code), if it has one. */
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

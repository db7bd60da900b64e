import { randomUUID } from 'node:crypto';

/** The header a load balancer or caller sets to correlate its logs with ours; echoed on every answer. */
export const REQUEST_ID_HEADER = 'x-request-id';

// A caller's id is kept only if it is short and plain: it lands in log lines and response headers.
const ACCEPTABLE = /^[A-Za-z0-9._:-]{1,128}$/;

/** The caller's request id when usable, else a fresh UUID. */
export function requestIdFrom(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value !== undefined && ACCEPTABLE.test(value) ? value : randomUUID();
}

// @ts-check
// The gateway's REST API as the page uses it: the bearer token from sessionStorage on every call, and every
// refusal turned into an ApiError carrying the gateway's stable code and per-field details.

const TOKEN_KEY = 'cohort.token';
// The API sits next to the page's folder (/ui/ → /v1/), also behind a proxy that adds a path prefix.
const API_BASE = new URL('../', document.baseURI);

/** @typedef {{ field: string, message: string }} FieldProblem */
/** @typedef {{ subject: string, name: string, roles: string[], permissions: string[], expiresAt: string }} Me */

export class ApiError extends Error {
  /**
   * @param {number} status HTTP status, 0 when the gateway could not be reached.
   * @param {string} code
   * @param {string} message
   * @param {FieldProblem[]} [details]
   */
  constructor(status, code, message, details = []) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

/** @returns {string | null} */
export function storedToken() {
  return sessionStorage.getItem(TOKEN_KEY);
}

/** @param {string} token */
export function storeToken(token) {
  sessionStorage.setItem(TOKEN_KEY, token);
}

export function forgetToken() {
  sessionStorage.removeItem(TOKEN_KEY);
}

/** @type {(error: ApiError) => void} */
let onSignInRefused = () => undefined;

/**
 * Called when the gateway answers 401 to a signed-in request: the token expired or was revoked, and every
 * further call would fail the same way.
 * @param {(error: ApiError) => void} handler
 */
export function whenSignInRefused(handler) {
  onSignInRefused = handler;
}

/**
 * @param {unknown} item
 * @returns {item is FieldProblem}
 */
function isFieldProblem(item) {
  const p = /** @type {{ field?: unknown, message?: unknown } | null} */ (item);
  return typeof p === 'object' && p !== null && typeof p.field === 'string' && typeof p.message === 'string';
}

/**
 * @param {Response} response
 * @returns {Promise<ApiError>}
 */
async function errorOf(response) {
  let code = `HTTP_${response.status}`;
  let message = response.statusText || `the gateway answered ${response.status}`;
  /** @type {FieldProblem[]} */
  let details = [];
  try {
    /** @type {unknown} */
    const raw = await response.json();
    const body = /** @type {{ error?: { code?: unknown, message?: unknown, details?: unknown } }} */ (raw);
    if (typeof body.error?.code === 'string') code = body.error.code;
    if (typeof body.error?.message === 'string') message = body.error.message;
    /** @type {unknown[]} */
    const items = Array.isArray(body.error?.details) ? body.error.details : [];
    details = items.filter(isFieldProblem);
  } catch {
    // Not the gateway's JSON (a proxy's error page): the status line is all there is.
  }
  return new ApiError(response.status, code, message, details);
}

/**
 * One call to the gateway; resolves to the Response when it is 2xx, else rejects with an ApiError.
 * @param {string} path e.g. "v1/jobs"
 * @param {{ method?: string, body?: unknown, token?: string | null, signal?: AbortSignal, accept?: string }} [options]
 * @returns {Promise<Response>}
 */
export async function request(path, options = {}) {
  const token = options.token === undefined ? storedToken() : options.token;
  /** @type {Record<string, string>} */
  const headers = { accept: options.accept ?? 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  let response;
  try {
    response = await fetch(new URL(path, API_BASE), {
      method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: options.signal,
      cache: 'no-store',
    });
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    throw new ApiError(0, 'GATEWAY_UNREACHABLE', `the gateway could not be reached (${String(err)})`);
  }
  if (response.ok) return response;
  const error = await errorOf(response);
  if (error.status === 401 && options.token === undefined) onSignInRefused(error);
  throw error;
}

/**
 * The JSON body of a successful call; callers state the shape they expect.
 * @param {string} path
 * @param {{ method?: string, body?: unknown, token?: string | null, signal?: AbortSignal }} [options]
 * @returns {Promise<unknown>}
 */
export async function getJson(path, options = {}) {
  const response = await request(path, options);
  /** @type {unknown} */
  const body = await response.json();
  return body;
}

/**
 * A sentence for a person: what went wrong and, for sign-in problems, what to do about it.
 * @param {unknown} err
 * @returns {string}
 */
export function describeError(err) {
  if (!(err instanceof ApiError)) return err instanceof Error ? err.message : String(err);
  switch (err.status) {
    case 0:
      return `${err.message}. Is the gateway running?`;
    case 401:
      return `Sign-in refused (${err.code}): ${err.message}. Sign in again with a valid token.`;
    case 403:
      return `Not allowed (${err.code}): ${err.message}.`;
    case 404:
      return `Not found (${err.code}): ${err.message}.`;
    case 429:
      return `Too many requests (${err.code}): ${err.message}.`;
    default:
      return `${err.code}: ${err.message}`;
  }
}

/**
 * @param {Me | null} me
 * @param {string} permission
 */
export function can(me, permission) {
  return Boolean(me?.permissions.includes(permission));
}

/**
 * The *.own / *.any pair the gateway checks: any such resource, or this one when the user submitted it.
 * @param {Me | null} me
 * @param {string} owner the job's submittedBy
 * @param {string} action e.g. "job.cancel", "model.download"
 */
export function canOnJob(me, owner, action) {
  return can(me, `${action}.any`) || (me !== null && me.subject === owner && can(me, `${action}.own`));
}

// @ts-check
// Pieces several pages share: status badges that carry a symbol and a word (never colour alone), error notices,
// and the context a page is rendered with.
import { describeError } from './api.js';
import { h } from './dom.js';

/**
 * @typedef {object} PageContext
 * @property {import('./api.js').Me} me
 * @property {HTMLElement} main
 * @property {URLSearchParams} params the query part of the route (#/audit?jobId=…)
 * @property {(text: string) => void} announce read out by screen readers, without moving focus
 */

/** @typedef {() => void} Cleanup */

/** @type {Readonly<Record<string, string>>} */
const STATUS_SYMBOL = {
  pending: '…',
  running: '▶',
  completed: '✓',
  failed: '✗',
  cancelled: '■',
};

export const TERMINAL = new Set(['completed', 'failed', 'cancelled']);

/** @param {string} status */
export function statusBadge(status) {
  return h(
    'span',
    { class: `badge status-${status.replace(/[^a-z]/g, '')}`, 'data-status': status },
    h('span', { 'aria-hidden': 'true' }, STATUS_SYMBOL[status] ?? '?'),
    ' ',
    status,
  );
}

/**
 * A refusal or failure, said in words, announced when it appears.
 * @param {unknown} err
 */
export function errorNotice(err) {
  return h('p', { class: 'notice error', role: 'alert' }, describeError(err));
}

/**
 * The page's heading; focused after navigation so keyboard and screen-reader users start at the new content.
 * @param {string} text
 */
export function pageHeading(text) {
  return h('h1', { tabindex: '-1', id: 'page-heading' }, text);
}

/**
 * @param {unknown} err
 * @returns {boolean}
 */
export function isAbort(err) {
  return err instanceof DOMException && err.name === 'AbortError';
}

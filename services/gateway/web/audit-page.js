// @ts-check
// The audit trail for compliance: filtered pages of entries, exports with the token (saved from a Blob, since a
// link cannot carry the Authorization header), and the chain's verification in place.
import { can, getJson, request } from './api.js';
import { fill, h, saveBlob } from './dom.js';
import { errorNotice, isAbort, pageHeading } from './ui.js';

/** @typedef {import('./ui.js').PageContext} PageContext */
/** @typedef {{ seq: number, time: string, actor: string, action: string, subject: string, details: Record<string, unknown>, prevHash: string, hash: string }} Entry */
/** @typedef {{ entries: Entry[], nextAfterSeq?: number, total: number }} AuditPage */
/**
 * @typedef {object} Verification
 * @property {boolean} ok
 * @property {number} entries
 * @property {number} checkpoints
 * @property {number} [firstBrokenSeq]
 * @property {{ code: string, message: string }} [fault]
 * @property {number} uncheckpointedTail
 * @property {string[]} signers
 */

const FILTERS = /** @type {const} */ (['jobId', 'siloId', 'actor', 'action', 'since', 'until']);
const DETAILS_PREVIEW = 100;

/**
 * A datetime-local value is the user's wall-clock time; the API wants an instant.
 * @param {string} value
 */
function toInstant(value) {
  const t = new Date(value);
  return Number.isNaN(t.getTime()) ? value : t.toISOString();
}

/**
 * @param {string} iso
 */
function toLocalInput(iso) {
  const t = new Date(iso);
  if (Number.isNaN(t.getTime())) return '';
  const local = new Date(t.getTime() - t.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 19);
}

/**
 * Local date and time to the second, compact enough for a table column; the exact instant is in the title.
 * @param {string} iso
 */
function shortTime(iso) {
  const local = toLocalInput(iso);
  return local ? local.replace('T', ' ') : iso;
}

/**
 * @param {PageContext} ctx
 * @returns {import('./ui.js').Cleanup}
 */
export function renderAudit(ctx) {
  if (!can(ctx.me, 'audit.read')) {
    fill(
      ctx.main,
      pageHeading('Audit trail'),
      h(
        'p',
        { class: 'notice error', role: 'alert' },
        `Not allowed: your roles (${ctx.me.roles.join(', ') || 'none'}) do not include reading the audit trail (audit.read).`,
      ),
    );
    return () => undefined;
  }
  const controller = new AbortController();
  /** @type {Record<string, string>} applied filters, as the API names them */
  let applied = {};
  /** afterSeq of each page shown so far: [0] is the first page, the last is the current one. */
  let cursors = [0];
  let limit = 50;

  const inputs = {
    jobId: h('input', { id: 'f-jobId', name: 'jobId', autocomplete: 'off' }),
    siloId: h('input', { id: 'f-siloId', name: 'siloId', autocomplete: 'off' }),
    actor: h('input', { id: 'f-actor', name: 'actor', autocomplete: 'off', placeholder: 'user:alice' }),
    action: h('input', {
      id: 'f-action',
      name: 'action',
      autocomplete: 'off',
      placeholder: 'job.submitted,update.accepted',
      'aria-describedby': 'f-action-help',
    }),
    since: h('input', { id: 'f-since', name: 'since', type: 'datetime-local', step: 1 }),
    until: h('input', { id: 'f-until', name: 'until', type: 'datetime-local', step: 1 }),
  };
  const labels = {
    jobId: 'Job ID',
    siloId: 'Hospital (silo)',
    actor: 'Actor',
    action: 'Action(s)',
    since: 'Since',
    until: 'Until',
  };
  const limitSelect = h(
    'select',
    { id: 'f-limit', name: 'limit' },
    [25, 50, 100, 500].map((n) => h('option', { value: n, selected: n === limit }, String(n))),
  );
  for (const name of FILTERS) {
    const value = ctx.params.get(name);
    if (value) inputs[name].value = name === 'since' || name === 'until' ? toLocalInput(value) : value;
  }

  const verifyStatus = h(
    'div',
    { id: 'verify-status', role: 'status', 'data-state': 'pending' },
    'Verifying the chain…',
  );
  const verifyButton = h('button', { type: 'button', id: 'verify' }, 'Verify again');
  const exportMessage = h('div', { 'aria-live': 'polite' });
  const problem = h('div');
  const counter = h('p', { id: 'audit-count', class: 'muted' });
  const body = h('tbody');
  const prev = h('button', { type: 'button', id: 'audit-prev', disabled: true }, '← Previous page');
  const next = h('button', { type: 'button', id: 'audit-next', disabled: true }, 'Next page →');

  const form = h(
    'form',
    { class: 'filters', role: 'search', 'aria-label': 'Audit filters', novalidate: true },
    FILTERS.map((name) =>
      h('div', { class: 'field' }, h('label', { for: inputs[name].id }, labels[name]), inputs[name]),
    ),
    h('div', { class: 'field' }, h('label', { for: 'f-limit' }, 'Per page'), limitSelect),
    h(
      'p',
      { id: 'f-action-help', class: 'help' },
      'Actions: one, or several separated by commas. Times are your local time.',
    ),
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'submit' }, 'Apply filters'),
      h('button', { type: 'reset' }, 'Clear'),
    ),
  );

  function readFilters() {
    /** @type {Record<string, string>} */
    const f = {};
    for (const name of FILTERS) {
      const value = inputs[name].value.trim();
      if (value)
        f[name] = name === 'since' || name === 'until' ? toInstant(value) : value.replace(/\s+/g, '');
    }
    return f;
  }

  function rememberInUrl() {
    // replaceState does not fire hashchange: the page keeps its state and focus, the address stays shareable.
    const query = new URLSearchParams(applied).toString();
    history.replaceState(null, '', `#/audit${query ? `?${query}` : ''}`);
  }

  /** @param {Entry} e */
  function row(e) {
    const json = JSON.stringify(e.details);
    return h(
      'tr',
      { 'data-seq': e.seq },
      h('td', {}, String(e.seq)),
      h('td', {}, h('time', { datetime: e.time, title: e.time }, shortTime(e.time))),
      h('td', {}, e.actor),
      h('td', {}, h('code', {}, e.action)),
      h('td', { class: 'subject' }, e.subject),
      h(
        'td',
        { class: 'details' },
        json.length <= DETAILS_PREVIEW
          ? h('code', {}, json)
          : h(
              'details',
              {},
              h('summary', {}, h('code', {}, `${json.slice(0, DETAILS_PREVIEW)}…`)),
              h('pre', {}, JSON.stringify(e.details, null, 2)),
            ),
      ),
    );
  }

  async function load() {
    const afterSeq = cursors[cursors.length - 1];
    const query = new URLSearchParams({ ...applied, afterSeq: String(afterSeq), limit: String(limit) });
    try {
      const page = /** @type {AuditPage} */ (
        await getJson(`v1/audit?${query}`, { signal: controller.signal })
      );
      fill(problem);
      fill(
        body,
        page.entries.length > 0
          ? page.entries.map(row)
          : h('tr', {}, h('td', { colspan: 6 }, 'No entries match these filters.')),
      );
      const first = page.entries[0]?.seq;
      const last = page.entries[page.entries.length - 1]?.seq;
      counter.textContent =
        page.entries.length > 0
          ? `Page ${cursors.length}: entries ${first}–${last}; ${page.total} ${page.total === 1 ? 'entry matches' : 'entries match'}.`
          : `${page.total} ${page.total === 1 ? 'entry matches' : 'entries match'}.`;
      prev.disabled = cursors.length <= 1;
      next.disabled = page.nextAfterSeq === undefined;
      next.dataset.after = String(page.nextAfterSeq ?? '');
    } catch (err) {
      if (!isAbort(err)) fill(problem, errorNotice(err));
    }
  }

  async function verify() {
    verifyButton.disabled = true;
    verifyStatus.dataset.state = 'pending';
    verifyStatus.textContent = 'Verifying the chain…';
    try {
      const v = /** @type {Verification} */ (
        await getJson('v1/audit/verify', { method: 'POST', signal: controller.signal })
      );
      verifyStatus.dataset.state = v.ok ? 'ok' : 'broken';
      const signers = v.signers.map((k) => `${k.slice(0, 12)}…`).join(', ') || 'none';
      fill(
        verifyStatus,
        v.ok
          ? h(
              'p',
              { class: 'verdict ok' },
              h('strong', {}, '✓ OK: '),
              `the chain verifies — ${v.entries} entries, ${v.checkpoints} signed checkpoints (signers ${signers})`,
              v.uncheckpointedTail > 0
                ? `; the newest ${v.uncheckpointedTail} entries are not yet covered by a checkpoint.`
                : '.',
            )
          : h(
              'p',
              { class: 'verdict broken' },
              h('strong', {}, `✗ BROKEN at entry ${v.firstBrokenSeq ?? '?'}: `),
              `${v.fault?.code ?? 'FAULT'} — ${v.fault?.message ?? 'no detail'}. ${v.entries} entries and ${v.checkpoints} checkpoints were read.`,
            ),
        h('p', { class: 'muted' }, `Checked ${new Date().toLocaleTimeString()}.`),
      );
      ctx.announce(
        v.ok ? 'Audit chain verified: OK.' : `Audit chain BROKEN at entry ${v.firstBrokenSeq ?? '?'}.`,
      );
    } catch (err) {
      if (isAbort(err)) return;
      verifyStatus.dataset.state = 'error';
      fill(verifyStatus, errorNotice(err));
    } finally {
      verifyButton.disabled = false;
    }
  }

  /** @param {'jsonl' | 'csv'} format */
  async function exportTrail(format) {
    fill(
      exportMessage,
      h('p', { class: 'notice info', role: 'status' }, `Exporting (${format.toUpperCase()})…`),
    );
    try {
      const query = new URLSearchParams({ ...applied, format });
      const response = await request(`v1/audit/export?${query}`, {
        accept: '*/*',
        signal: controller.signal,
      });
      const blob = await response.blob();
      const named = /filename="([^"]+)"/.exec(response.headers.get('content-disposition') ?? '');
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      const filename = named
        ? named[1].replace(/(\.[a-z]+)$/, `-${stamp}$1`)
        : `cohort-audit-${stamp}.${format}`;
      saveBlob(blob, filename);
      fill(
        exportMessage,
        h(
          'p',
          { class: 'notice info', role: 'status' },
          `Saved ${filename} (${blob.size.toLocaleString()} bytes).`,
        ),
      );
    } catch (err) {
      if (!isAbort(err)) fill(exportMessage, errorNotice(err));
    }
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    applied = readFilters();
    limit = Number(limitSelect.value);
    cursors = [0];
    rememberInUrl();
    void load();
  });
  form.addEventListener('reset', () => {
    // After the browser has cleared the inputs.
    setTimeout(() => {
      applied = {};
      cursors = [0];
      rememberInUrl();
      void load();
    });
  });
  prev.addEventListener('click', () => {
    cursors.pop();
    void load();
  });
  next.addEventListener('click', () => {
    cursors.push(Number(next.dataset.after));
    void load();
  });
  verifyButton.addEventListener('click', () => void verify());

  const exports = can(ctx.me, 'audit.export')
    ? h(
        'div',
        { class: 'actions', role: 'group', 'aria-label': 'Export the entries matching the filters' },
        h(
          'button',
          { type: 'button', id: 'export-jsonl', onclick: () => void exportTrail('jsonl') },
          'Export JSON Lines',
        ),
        h(
          'button',
          { type: 'button', id: 'export-csv', onclick: () => void exportTrail('csv') },
          'Export CSV',
        ),
      )
    : null;

  fill(
    ctx.main,
    pageHeading('Audit trail'),
    can(ctx.me, 'audit.verify')
      ? h(
          'section',
          { 'aria-labelledby': 'verify-heading', class: 'verify' },
          h('h2', { id: 'verify-heading' }, 'Chain verification'),
          verifyStatus,
          verifyButton,
        )
      : null,
    h(
      'section',
      { 'aria-labelledby': 'filters-heading' },
      h('h2', { id: 'filters-heading' }, 'Filters'),
      form,
    ),
    h(
      'section',
      { 'aria-labelledby': 'entries-heading' },
      h('h2', { id: 'entries-heading' }, 'Entries'),
      exports,
      exportMessage,
      problem,
      counter,
      h(
        'div',
        { class: 'table-scroll' },
        h(
          'table',
          { class: 'audit', id: 'audit-table' },
          h('caption', { class: 'visually-hidden' }, 'Audit entries in sequence order'),
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ['Seq', 'Time', 'Actor', 'Action', 'Subject', 'Details'].map((c) =>
                h('th', { scope: 'col' }, c),
              ),
            ),
          ),
          body,
        ),
      ),
      h('div', { class: 'actions pager' }, prev, next),
    ),
  );
  applied = readFilters();
  void load();
  if (can(ctx.me, 'audit.verify')) void verify();
  return () => controller.abort();
}

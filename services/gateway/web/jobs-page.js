// @ts-check
// The jobs a user may see (their own, or everyone's with job.read.any), refreshed every few seconds.
import { can, getJson } from './api.js';
import { fill, formatTime, h } from './dom.js';
import { errorNotice, isAbort, pageHeading, statusBadge } from './ui.js';

/** @typedef {import('./ui.js').PageContext} PageContext */
/** @typedef {{ jobId: string, status: string, currentRound: number, submittedBy: string, createdAtUnixMs: number, spec: { name: string, rounds: number } | null, rounds: unknown[] }} JobSummary */

const REFRESH_MS = 5000;
const PAGE_SIZE = 50;

/**
 * @param {PageContext} ctx
 * @returns {import('./ui.js').Cleanup}
 */
export function renderJobs(ctx) {
  const everyone = can(ctx.me, 'job.read.any');
  const controller = new AbortController();
  let shown = PAGE_SIZE;
  let owner = '';
  let loading = false;

  const updated = h('p', { class: 'muted', id: 'jobs-updated' }, 'Loading…');
  const problem = h('div');
  const body = h('tbody');
  const more = h('button', { type: 'button', hidden: true }, 'Show more jobs');
  const table = h(
    'table',
    { class: 'jobs', id: 'jobs-table' },
    h('caption', {}, everyone ? 'All jobs, newest first' : 'Your jobs, newest first'),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ['Job', 'Status', 'Round', 'Owner', 'Created'].map((c) => h('th', { scope: 'col' }, c)),
      ),
    ),
    body,
  );

  /** @param {JobSummary} job */
  function row(job) {
    const planned = job.spec?.rounds ?? 0;
    return h(
      'tr',
      { 'data-job-id': job.jobId },
      h(
        'td',
        {},
        h('a', { href: `#/jobs/${encodeURIComponent(job.jobId)}` }, job.spec?.name || job.jobId),
        h('br'),
        h('code', { class: 'small' }, job.jobId),
      ),
      h('td', {}, statusBadge(job.status)),
      h('td', {}, planned ? `${job.currentRound} of ${planned}` : String(job.currentRound)),
      h('td', {}, job.submittedBy),
      h('td', {}, formatTime(job.createdAtUnixMs)),
    );
  }

  async function load() {
    if (loading) return;
    loading = true;
    try {
      const query = new URLSearchParams({ pageSize: String(shown) });
      if (owner) query.set('submittedBy', owner);
      const page = /** @type {{ jobs: JobSummary[], nextPageToken: string | null }} */ (
        await getJson(`v1/jobs?${query}`, { signal: controller.signal })
      );
      fill(
        body,
        page.jobs.length > 0
          ? page.jobs.map(row)
          : h(
              'tr',
              {},
              h(
                'td',
                { colspan: 5 },
                'No jobs yet.',
                can(ctx.me, 'job.submit') ? [' ', h('a', { href: '#/submit' }, 'Submit one')] : null,
              ),
            ),
      );
      more.hidden = page.nextPageToken === null || shown >= 1000;
      fill(problem);
      updated.textContent = `Updated ${new Date().toLocaleTimeString()}; refreshes every ${REFRESH_MS / 1000} s.`;
    } catch (err) {
      if (!isAbort(err)) fill(problem, errorNotice(err));
    } finally {
      loading = false;
    }
  }

  more.addEventListener('click', () => {
    // Refreshing re-reads every row shown, so "more" widens the one page rather than keeping a cursor.
    shown = Math.min(1000, shown + PAGE_SIZE);
    void load();
  });

  const ownerBox = h('input', { id: 'owner-filter', name: 'owner', type: 'search', autocomplete: 'off' });
  const filter = everyone
    ? h(
        'form',
        { class: 'inline-form', role: 'search' },
        h('label', { for: 'owner-filter' }, 'Submitted by (subject)'),
        ownerBox,
        h('button', { type: 'submit' }, 'Filter'),
      )
    : null;
  filter?.addEventListener('submit', (event) => {
    event.preventDefault();
    owner = ownerBox.value.trim();
    void load();
  });

  fill(
    ctx.main,
    pageHeading('Jobs'),
    can(ctx.me, 'job.submit')
      ? h('p', {}, h('a', { href: '#/submit', class: 'button' }, 'Submit a job'))
      : null,
    filter,
    updated,
    problem,
    h('div', { class: 'table-scroll' }, table),
    more,
  );
  void load();
  const timer = window.setInterval(() => {
    if (!document.hidden) void load();
  }, REFRESH_MS);
  return () => {
    window.clearInterval(timer);
    controller.abort();
  };
}

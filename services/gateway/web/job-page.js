// @ts-check
// One job: its state, charts per round, every silo's part in every round, and live progress read from the
// job's Server-Sent Events. Cancel and model download appear only for users the gateway would allow.
import { ApiError, can, canOnJob, describeError, getJson, request } from './api.js';
import { lineChart } from './charts.js';
import { fill, formatNumber, formatTime, h, saveBlob } from './dom.js';
import { readEventStream } from './sse.js';
import { TERMINAL, errorNotice, isAbort, pageHeading, statusBadge } from './ui.js';

/** @typedef {import('./ui.js').PageContext} PageContext */
/** @typedef {{ loss: number | null, accuracy: number | null, auc: number | null, examples: number }} Metrics */
/** @typedef {{ distance: number, cosine: number, norm: number, flagged: boolean }} Outlier */
/**
 * @typedef {object} SiloRound
 * @property {string} siloId
 * @property {string} updateStatus "accepted" | "rejected" | "missing", or "received" while the round runs
 * @property {string} reason
 * @property {number} exampleCount
 * @property {Metrics | null} metrics
 * @property {Outlier | null} [outlier]
 * @property {string} [outlierNote] from a live outlier event, before the round's numbers arrive
 */
/** @typedef {{ round: number, status: string, metrics: Metrics | null, epsilonSpent: number, silos: SiloRound[] }} Round */
/** @typedef {{ siloId: string, accept: boolean, reason: string }} Decision */
/** @typedef {{ enabled: boolean, targetEpsilon: number, delta: number, level: string, mode: string }} PrivacySpec */
/**
 * @typedef {object} JobSpec
 * @property {string} name
 * @property {number} rounds
 * @property {number} minSilos
 * @property {{ template: string, hiddenUnits: number[] } | null} model
 * @property {{ id: string, features: string[] } | null} dataset
 * @property {{ rule: string } | null} aggregation
 * @property {PrivacySpec | null} privacy
 */
/**
 * @typedef {object} PrivacyStatement
 * @property {string} mechanism
 * @property {string} level
 * @property {string} mode
 * @property {number} epsilon
 * @property {number} delta
 * @property {number} targetEpsilon
 * @property {number} rounds
 * @property {number} noiseMultiplier
 * @property {number} clipNorm
 */
/**
 * @typedef {object} Job
 * @property {string} jobId
 * @property {string} status
 * @property {number} currentRound
 * @property {string} failureReason
 * @property {string} submittedBy
 * @property {number} createdAtUnixMs
 * @property {number} updatedAtUnixMs
 * @property {JobSpec | null} spec
 * @property {Decision[]} decisions
 * @property {Round[]} rounds
 * @property {PrivacyStatement} [privacy]
 */
/** @typedef {{ type: string, round: number, siloId: string | null, message: string, at: string, job?: Job, code?: string }} JobEvent */

const MAX_ACTIVITY = 100;

/** @type {Readonly<Record<string, string>>} */
const EVENT_WORDS = {
  status: 'Status:',
  round_started: 'Started',
  round_completed: 'Completed',
  update_accepted: 'Update accepted:',
  update_rejected: 'Update REJECTED:',
  outlier: '⚑ Outlier flagged:',
};

/** @type {Readonly<Record<string, { symbol: string, word: string }>>} */
const CELL = {
  accepted: { symbol: '✓', word: 'accepted' },
  received: { symbol: '↑', word: 'received, round still open' },
  rejected: { symbol: '✗', word: 'rejected' },
  missing: { symbol: '○', word: 'missing (no update before the deadline)' },
  absent: { symbol: '·', word: 'not taking part' },
  pending: { symbol: ' ', word: 'round not started' },
};

/**
 * @param {PageContext} ctx
 * @param {string} jobId
 * @returns {import('./ui.js').Cleanup}
 */
export function renderJob(ctx, jobId) {
  const controller = new AbortController();
  const path = `v1/jobs/${encodeURIComponent(jobId)}`;
  /** @type {Job | null} */
  let job = null;

  const heading = pageHeading(`Job ${jobId}`);
  const summary = h('div', { id: 'job-summary' });
  const actions = h('div', { class: 'actions', id: 'job-actions' });
  const actionMessage = h('div', { 'aria-live': 'polite' });
  const live = h('p', { id: 'live-status', class: 'muted', role: 'status' }, 'Connecting to live updates…');
  const charts = h('div', { class: 'charts', id: 'charts' });
  const privacy = h('div', { id: 'privacy' });
  const grid = h('div', { id: 'silo-grid' });
  const activity = h('ol', { class: 'activity', id: 'activity', reversed: true });
  const problem = h('div');

  fill(
    ctx.main,
    h('p', {}, h('a', { href: '#/jobs' }, '← All jobs')),
    heading,
    problem,
    summary,
    actions,
    actionMessage,
    live,
    h(
      'section',
      { 'aria-labelledby': 'metrics-heading' },
      h('h2', { id: 'metrics-heading' }, 'Metrics per round'),
      charts,
    ),
    privacy,
    h(
      'section',
      { 'aria-labelledby': 'silos-heading' },
      h('h2', { id: 'silos-heading' }, 'Hospitals per round'),
      h('p', { class: 'help' }, 'Each hospital’s answer to the offer, and its update in each round.'),
      grid,
    ),
    h(
      'section',
      { 'aria-labelledby': 'activity-heading' },
      h('h2', { id: 'activity-heading' }, 'Activity'),
      h('p', { class: 'help' }, 'Events of this job as they arrive, newest first.'),
      activity,
    ),
  );

  function render() {
    if (!job) return;
    const spec = job.spec;
    heading.textContent = spec?.name ? `Job ${spec.name}` : `Job ${job.jobId}`;
    document.title = `${heading.textContent} · Cohort dashboard`;
    renderSummary(job);
    renderActions(job);
    renderCharts(job);
    renderPrivacy(job);
    renderGrid(job);
  }

  /** @param {Job} j */
  function renderSummary(j) {
    const planned = j.spec?.rounds ?? 0;
    /** @type {[string, import('./dom.js').Child][]} */
    const items = [
      ['Status', statusBadge(j.status)],
      ['Round', planned ? `${j.currentRound} of ${planned}` : String(j.currentRound)],
      ['Job ID', h('code', {}, j.jobId)],
      ['Owner', j.submittedBy],
      ['Created', formatTime(j.createdAtUnixMs)],
      ['Updated', formatTime(j.updatedAtUnixMs)],
      [
        'Model',
        j.spec?.model
          ? `${j.spec.model.template}${j.spec.model.hiddenUnits?.length ? ` (${j.spec.model.hiddenUnits.join('-')})` : ''}`
          : '—',
      ],
      ['Dataset', j.spec?.dataset ? `${j.spec.dataset.id}, ${j.spec.dataset.features.length} features` : '—'],
      ['Aggregation', j.spec?.aggregation?.rule ?? '—'],
      ['Quorum', j.spec ? `${j.spec.minSilos} hospitals` : '—'],
    ];
    if (j.failureReason) items.splice(1, 0, ['Reason', j.failureReason]);
    fill(
      summary,
      h(
        'dl',
        { class: 'facts' },
        items.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]),
      ),
    );
  }

  /** @param {Job} j */
  function renderActions(j) {
    const buttons = [];
    if (!TERMINAL.has(j.status) && canOnJob(ctx.me, j.submittedBy, 'job.cancel')) {
      buttons.push(
        h('button', { type: 'button', id: 'cancel-job', onclick: () => void cancel() }, 'Cancel job'),
      );
    }
    if (canOnJob(ctx.me, j.submittedBy, 'model.download')) {
      if (j.status === 'completed') {
        buttons.push(
          h(
            'div',
            { class: 'download', role: 'group', 'aria-labelledby': 'download-label' },
            h(
              'span',
              { id: 'download-label' },
              'Download the model (TensorFlow.js, keep both files together): ',
            ),
            h(
              'button',
              { type: 'button', id: 'download-model', onclick: () => void download('model') },
              'model.json',
            ),
            ' ',
            h(
              'button',
              { type: 'button', id: 'download-weights', onclick: () => void download('model.weights.bin') },
              'model.weights.bin',
            ),
          ),
        );
      } else if (!TERMINAL.has(j.status)) {
        buttons.push(h('p', { class: 'help' }, 'The model can be downloaded once the job completes.'));
      }
    } else if (can(ctx.me, 'job.read.any')) {
      buttons.push(
        h(
          'p',
          { class: 'help', id: 'no-model-note' },
          'Your role reads every job’s progress; models are released only to the researchers who asked for them.',
        ),
      );
    }
    if (can(ctx.me, 'audit.read')) {
      buttons.push(
        h(
          'a',
          { href: `#/audit?jobId=${encodeURIComponent(j.jobId)}`, id: 'job-audit-link' },
          'Audit trail of this job',
        ),
      );
    }
    // Rebuilt only when the set of actions changes, so keyboard focus on a button survives live updates.
    const key = buttons.map((b) => b.id || b.textContent).join('|');
    if (actions.dataset.key === key) return;
    actions.dataset.key = key;
    fill(actions, buttons);
  }

  /** @param {Job} j */
  function renderCharts(j) {
    const xMax = Math.max(j.spec?.rounds ?? 1, ...j.rounds.map((r) => r.round));
    const finished = j.rounds.filter((r) => r.metrics);
    /**
     * @param {'loss' | 'accuracy' | 'auc'} key
     * @returns {{ x: number, y: number }[]}
     */
    const series = (key) =>
      finished.flatMap((r) => {
        const v = r.metrics?.[key];
        return typeof v === 'number' ? [{ x: r.round, y: v }] : [];
      });
    const open = openDetails(charts);
    fill(
      charts,
      lineChart({
        id: 'loss',
        title: 'Loss (lower is better)',
        yLabel: 'Loss',
        points: series('loss'),
        xMax,
        bounds: [0, Infinity],
        format: (y) => y.toFixed(3),
      }),
      lineChart({
        id: 'accuracy',
        title: 'Accuracy',
        yLabel: 'Accuracy',
        points: series('accuracy'),
        xMax,
        bounds: [0, 1],
      }),
      lineChart({ id: 'auc', title: 'AUC', yLabel: 'AUC', points: series('auc'), xMax, bounds: [0, 1] }),
      j.spec?.privacy?.enabled
        ? lineChart({
            id: 'epsilon',
            title: 'Privacy spent (ε, cumulative)',
            yLabel: 'ε spent',
            points: j.rounds
              .filter((r) => r.epsilonSpent > 0)
              .map((r) => ({ x: r.round, y: r.epsilonSpent })),
            xMax,
            bounds: [0, Infinity],
            reference: { y: j.spec.privacy.targetEpsilon, label: 'target ε' },
            fromZero: true,
            format: (y) => y.toFixed(2),
          })
        : null,
    );
    restoreDetails(charts, open);
  }

  /** @param {Job} j */
  function renderPrivacy(j) {
    const p = j.spec?.privacy;
    if (!p?.enabled) {
      fill(privacy);
      return;
    }
    const spent = j.privacy?.epsilon ?? Math.max(0, ...j.rounds.map((r) => r.epsilonSpent));
    const statement = j.privacy;
    fill(
      privacy,
      h('h2', {}, 'Differential privacy'),
      h(
        'p',
        { id: 'epsilon-summary' },
        `ε spent ${formatNumber(spent, 3)} of the target ${formatNumber(p.targetEpsilon, 3)} (δ = ${p.delta}); `,
        `${p.level || 'patient'} level, ${p.mode || 'central'} noise.`,
        spent > p.targetEpsilon ? h('strong', {}, ' Over the target!') : null,
      ),
      statement
        ? h(
            'dl',
            { class: 'facts' },
            [
              ['Mechanism', statement.mechanism],
              ['Rounds', String(statement.rounds)],
              ['Noise multiplier σ', formatNumber(statement.noiseMultiplier, 3)],
              ['Clip norm C', formatNumber(statement.clipNorm, 3)],
            ].map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]),
          )
        : null,
    );
  }

  /** @param {Job} j */
  function renderGrid(j) {
    const planned = Math.max(j.spec?.rounds ?? 0, ...j.rounds.map((r) => r.round));
    const silos = [
      ...new Set([
        ...j.decisions.map((d) => d.siloId),
        ...j.rounds.flatMap((r) => r.silos.map((s) => s.siloId)),
      ]),
    ].sort();
    if (silos.length === 0) {
      fill(grid, h('p', { class: 'muted' }, 'No hospital has answered the offer yet.'));
      return;
    }
    const rounds = Array.from({ length: planned }, (_, i) => i + 1);
    const byRound = new Map(j.rounds.map((r) => [r.round, r]));
    const table = h(
      'table',
      { class: 'grid', id: 'silo-table' },
      h(
        'caption',
        { class: 'visually-hidden' },
        'Each hospital’s answer to the offer and its update in each round',
      ),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', { scope: 'col' }, 'Hospital'),
          h('th', { scope: 'col' }, 'Offer'),
          rounds.map((r) =>
            h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Round '), String(r)),
          ),
        ),
      ),
      h(
        'tbody',
        {},
        silos.map((siloId) => {
          const decision = j.decisions.find((d) => d.siloId === siloId);
          return h(
            'tr',
            { 'data-silo': siloId },
            h('th', { scope: 'row' }, siloId),
            h(
              'td',
              { class: decision ? (decision.accept ? 'offer-accepted' : 'offer-declined') : '' },
              decision ? (decision.accept ? '✓ accepted' : '✗ declined') : '… waiting',
              decision?.reason ? h('span', { class: 'reason' }, decision.reason) : null,
            ),
            rounds.map((r) => cell(siloId, r, byRound.get(r))),
          );
        }),
      ),
    );
    fill(
      grid,
      h(
        'div',
        { class: 'table-scroll', tabindex: '0', role: 'region', 'aria-labelledby': 'silos-heading' },
        table,
      ),
      h(
        'p',
        { class: 'legend' },
        'Legend: ',
        ['accepted', 'received', 'rejected', 'missing', 'absent'].map((k) =>
          h('span', { class: `legend-item cell-${k}` }, `${CELL[k].symbol} ${CELL[k].word}`),
        ),
        h('span', { class: 'legend-item flagged' }, '⚑ flagged as an outlier (far from the robust centre)'),
      ),
    );
  }

  /**
   * @param {string} siloId
   * @param {number} r
   * @param {Round | undefined} round
   */
  function cell(siloId, r, round) {
    const s = round?.silos.find((x) => x.siloId === siloId);
    const state = !round ? 'pending' : s ? s.updateStatus : 'absent';
    const look = CELL[state] ?? { symbol: '?', word: state };
    const flagged = Boolean(s?.outlier?.flagged || s?.outlierNote);
    const details = [
      `Round ${r}, ${siloId}: ${look.word}`,
      s?.exampleCount ? `${s.exampleCount} examples` : '',
      s?.reason ?? '',
      s?.outlier
        ? `distance ${formatNumber(s.outlier.distance, 4)}, cosine ${formatNumber(s.outlier.cosine, 3)}, norm ${formatNumber(s.outlier.norm, 3)}`
        : '',
      flagged ? 'flagged as an outlier' : '',
      s?.outlierNote ?? '',
    ].filter(Boolean);
    return h(
      'td',
      {
        class: `cell cell-${state}${flagged ? ' flagged' : ''}`,
        'data-round': r,
        'data-state': state,
        'data-flagged': flagged ? 'true' : 'false',
        title: details.join('; '),
      },
      h('span', { 'aria-hidden': 'true' }, look.symbol, flagged ? '⚑' : ''),
      h('span', { class: 'visually-hidden' }, details.join('; ')),
    );
  }

  /** @param {JobEvent} e */
  function logEvent(e) {
    const time = new Date(e.at).toLocaleTimeString();
    const what =
      e.type === 'status'
        ? ['Status:', e.message]
        : [
            EVENT_WORDS[e.type] ?? e.type.replace(/_/g, ' '),
            e.round ? `round ${e.round}` : '',
            e.siloId ?? '',
            e.message ? `— ${e.message}` : '',
          ].filter(Boolean);
    activity.prepend(
      h('li', { 'data-type': e.type }, h('time', { datetime: e.at }, time), ' ', what.join(' ')),
    );
    while (activity.children.length > MAX_ACTIVITY) activity.lastElementChild?.remove();
  }

  /**
   * Keeps the page current between the full job views the stream carries on status changes and finished rounds.
   * @param {JobEvent} e
   */
  function apply(e) {
    if (e.type === 'ping') return;
    if (e.type === 'error') {
      fill(
        problem,
        h(
          'p',
          { class: 'notice error', role: 'alert' },
          `Live updates stopped: ${e.code ?? 'ERROR'}: ${e.message}`,
        ),
      );
      return;
    }
    logEvent(e);
    if (e.job) {
      const before = job?.status;
      job = e.job;
      if (before && before !== job.status) ctx.announce(`Job ${job.status}.`);
      else if (e.type === 'round_completed') ctx.announce(`Round ${e.round} completed.`);
      render();
      return;
    }
    if (!job || !e.round) return;
    let round = job.rounds.find((r) => r.round === e.round);
    if (!round) {
      round = { round: e.round, status: 'running', metrics: null, epsilonSpent: 0, silos: [] };
      job.rounds.push(round);
      job.rounds.sort((a, b) => a.round - b.round);
    }
    job.currentRound = Math.max(job.currentRound, e.round);
    if (e.siloId && (e.type === 'update_accepted' || e.type === 'update_rejected' || e.type === 'outlier')) {
      let silo = round.silos.find((s) => s.siloId === e.siloId);
      if (!silo) {
        silo = { siloId: e.siloId, updateStatus: 'received', reason: '', exampleCount: 0, metrics: null };
        round.silos.push(silo);
      }
      if (e.type === 'update_rejected') {
        silo.updateStatus = 'rejected';
        silo.reason = e.message;
      } else if (e.type === 'outlier') {
        silo.outlierNote = e.message;
      }
    }
    render();
  }

  async function follow() {
    let delay = 1000;
    while (!controller.signal.aborted) {
      try {
        const response = await request(`${path}/events`, {
          accept: 'text/event-stream',
          signal: controller.signal,
        });
        live.textContent = 'Live: following this job’s events.';
        delay = 1000;
        await readEventStream(response, (event) => {
          /** @type {unknown} */
          let parsed;
          try {
            parsed = JSON.parse(event.data);
          } catch {
            return;
          }
          const data = /** @type {JobEvent} */ (parsed);
          apply({ ...data, type: data.type || event.type });
        });
      } catch (err) {
        if (isAbort(err)) return;
        if (err instanceof ApiError && (err.status === 401 || err.status === 403 || err.status === 404)) {
          live.textContent = `Live updates unavailable: ${describeError(err)}`;
          return;
        }
        live.textContent = `Live updates interrupted (${describeError(err)}); reconnecting in ${delay / 1000} s…`;
      }
      if (job && TERMINAL.has(job.status)) {
        live.textContent = `The job is ${job.status}; no further updates.`;
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 15_000);
      // Events may have passed while disconnected: the stream's first event carries the whole job again.
    }
  }

  async function cancel() {
    if (
      !job ||
      !window.confirm(
        `Cancel job ${job.spec?.name ?? job.jobId}? Running rounds stop and no model is released.`,
      )
    )
      return;
    try {
      job = /** @type {Job} */ (
        await getJson(`${path}/cancel`, { method: 'POST', body: { reason: 'cancelled from the dashboard' } })
      );
      fill(actionMessage, h('p', { class: 'notice info', role: 'status' }, 'The job was cancelled.'));
      render();
    } catch (err) {
      fill(actionMessage, errorNotice(err));
    }
  }

  /** @param {'model' | 'model.weights.bin'} file */
  async function download(file) {
    try {
      const response = await request(`${path}/${file}`, { accept: '*/*' });
      saveBlob(await response.blob(), file === 'model' ? 'model.json' : file);
      fill(
        actionMessage,
        h('p', { class: 'notice info', role: 'status' }, `Saved ${file === 'model' ? 'model.json' : file}.`),
      );
    } catch (err) {
      fill(actionMessage, errorNotice(err));
    }
  }

  async function load() {
    try {
      job = /** @type {Job} */ (await getJson(path, { signal: controller.signal }));
      render();
      await follow();
    } catch (err) {
      if (isAbort(err)) return;
      live.textContent = '';
      fill(problem, errorNotice(err));
    }
  }

  void load();
  return () => controller.abort();
}

/**
 * Which data tables the user opened, so a live redraw does not close them.
 * @param {HTMLElement} container
 */
function openDetails(container) {
  return new Set(
    [...container.querySelectorAll('figure[data-chart]')]
      .filter((f) => f.querySelector('details')?.open)
      .map((f) => f.getAttribute('data-chart')),
  );
}

/**
 * @param {HTMLElement} container
 * @param {Set<string | null>} open
 */
function restoreDetails(container, open) {
  for (const figure of container.querySelectorAll('figure[data-chart]')) {
    const details = figure.querySelector('details');
    if (details && open.has(figure.getAttribute('data-chart'))) details.open = true;
  }
}

// @ts-check
// Submitting a job: the spec as JSON, starting from the federation's example, with the gateway's per-field
// refusals listed next to it.
import { ApiError, can, getJson } from './api.js';
import { fill, h } from './dom.js';
import { errorNotice, pageHeading } from './ui.js';

/** @typedef {import('./ui.js').PageContext} PageContext */

/** Kept for the tab's life, so leaving the page and coming back does not lose an edited spec. */
const DRAFT_KEY = 'cohort.draftSpec';

/** @returns {Promise<string>} */
async function exampleSpec() {
  // Served next to the page from examples/heart-disease/job.json, the same file `npm run demo` submits.
  const response = await fetch(new URL('example-job.json', document.baseURI), { cache: 'no-cache' });
  if (!response.ok) throw new Error(`no example job spec on this gateway (${response.status})`);
  return JSON.stringify(await response.json(), null, 2);
}

/**
 * Where in the text a JSON.parse error points, as line and column, when the engine says.
 * @param {string} text
 * @param {unknown} err
 */
function jsonProblem(text, err) {
  const message = err instanceof Error ? err.message : String(err);
  const at = /position (\d+)/.exec(message);
  if (!at) return message;
  const before = text.slice(0, Number(at[1]));
  const line = before.split('\n').length;
  const column = before.length - before.lastIndexOf('\n');
  return `${message} (line ${line}, column ${column})`;
}

/**
 * @param {PageContext} ctx
 * @returns {import('./ui.js').Cleanup}
 */
export function renderSubmit(ctx) {
  if (!can(ctx.me, 'job.submit')) {
    fill(
      ctx.main,
      pageHeading('Submit a job'),
      h(
        'p',
        { class: 'notice error', role: 'alert' },
        `Not allowed: your roles (${ctx.me.roles.join(', ') || 'none'}) may not submit jobs.`,
      ),
    );
    return () => undefined;
  }
  const specBox = h('textarea', {
    id: 'spec',
    name: 'spec',
    rows: 28,
    spellcheck: 'false',
    autocomplete: 'off',
    class: 'code',
    'aria-describedby': 'spec-help spec-errors',
  });
  const errors = h('div', { id: 'spec-errors', 'aria-live': 'assertive' });
  const submit = h('button', { type: 'submit', id: 'submit-job' }, 'Submit job');
  const reset = h('button', { type: 'button', id: 'reset-spec' }, 'Reset to the example');
  const form = h(
    'form',
    { novalidate: true, class: 'submit-form' },
    h('label', { for: 'spec' }, 'Job spec (JSON)'),
    h(
      'p',
      { id: 'spec-help', class: 'help' },
      'Prefilled with the heart-disease example. Fields: name, model, dataset, rounds, minSilos, local training, aggregation, serverOptimizer, privacy, seed — see the ',
      h('a', { href: '../docs' }, 'API documentation'),
      ' (schema JobSpec).',
    ),
    specBox,
    errors,
    h('div', { class: 'actions' }, submit, reset),
  );

  const draft = sessionStorage.getItem(DRAFT_KEY);
  async function loadExample() {
    try {
      specBox.value = await exampleSpec();
      sessionStorage.removeItem(DRAFT_KEY);
    } catch (err) {
      fill(errors, errorNotice(err));
    }
  }
  if (draft) specBox.value = draft;
  else void loadExample();
  specBox.addEventListener('input', () => sessionStorage.setItem(DRAFT_KEY, specBox.value));
  reset.addEventListener('click', () => {
    fill(errors);
    specBox.removeAttribute('aria-invalid');
    void loadExample();
  });

  /**
   * @param {string} title
   * @param {{ field: string, message: string }[]} problems
   */
  function showProblems(title, problems) {
    specBox.setAttribute('aria-invalid', 'true');
    fill(
      errors,
      h(
        'div',
        { class: 'notice error', role: 'alert', id: 'spec-problems' },
        h('p', {}, title),
        problems.length > 0
          ? h(
              'ul',
              { class: 'field-errors' },
              problems.map((p) =>
                h(
                  'li',
                  { 'data-field': p.field },
                  p.field ? [h('code', {}, p.field), ': '] : null,
                  p.message,
                ),
              ),
            )
          : null,
      ),
    );
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void send();
  });

  async function send() {
    /** @type {unknown} */
    let spec;
    try {
      spec = JSON.parse(specBox.value);
    } catch (err) {
      showProblems('The spec is not valid JSON.', [{ field: '', message: jsonProblem(specBox.value, err) }]);
      specBox.focus();
      return;
    }
    submit.disabled = true;
    fill(errors, h('p', { class: 'notice info', role: 'status' }, 'Submitting…'));
    try {
      const job = /** @type {{ jobId: string }} */ (await getJson('v1/jobs', { method: 'POST', body: spec }));
      sessionStorage.removeItem(DRAFT_KEY);
      ctx.announce('Job submitted.');
      location.hash = `#/jobs/${encodeURIComponent(job.jobId)}`;
    } catch (err) {
      if (err instanceof ApiError && err.status === 400) {
        const n = err.details.length;
        showProblems(
          n > 0
            ? `The gateway refused the spec: ${n} ${n === 1 ? 'field needs' : 'fields need'} fixing.`
            : err.message,
          err.details,
        );
        specBox.focus();
      } else {
        fill(errors, errorNotice(err));
      }
    } finally {
      submit.disabled = false;
    }
  }

  fill(ctx.main, pageHeading('Submit a job'), form);
  return () => undefined;
}

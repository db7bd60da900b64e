// @ts-check
// The dashboard's shell: sign-in with a pasted token, the menu the user's permissions allow, and a hash router
// (#/jobs, #/jobs/ID, #/submit, #/audit) so the gateway serves one page and every view has its own address.
import {
  can,
  describeError,
  forgetToken,
  getJson,
  storeToken,
  storedToken,
  whenSignInRefused,
} from './api.js';
import { fill, h } from './dom.js';
import { renderAudit } from './audit-page.js';
import { renderJob } from './job-page.js';
import { renderJobs } from './jobs-page.js';
import { renderSubmit } from './submit-page.js';
import { pageHeading } from './ui.js';

/** @typedef {import('./api.js').Me} Me */
/** @typedef {import('./ui.js').Cleanup} Cleanup */

const main = /** @type {HTMLElement} */ (document.getElementById('main'));
const nav = /** @type {HTMLElement} */ (document.getElementById('nav'));
const who = /** @type {HTMLElement} */ (document.getElementById('who'));
const whoText = /** @type {HTMLElement} */ (document.getElementById('who-text'));
const signOutButton = /** @type {HTMLButtonElement} */ (document.getElementById('sign-out'));
const announcer = /** @type {HTMLElement} */ (document.getElementById('announcer'));

/** @type {Me | null} */
let me = null;
/** @type {Cleanup | undefined} */
let cleanup;
/** @type {number | undefined} */
let expiryTimer;

/** @param {string} text */
function announce(text) {
  // Clearing first makes a repeated message be read again.
  announcer.textContent = '';
  setTimeout(() => (announcer.textContent = text), 50);
}

function leavePage() {
  cleanup?.();
  cleanup = undefined;
}

/**
 * @param {string} [message] why the user is asked to sign in (expired token, signed out …)
 * @param {'error' | 'info'} [kind]
 */
function showSignIn(message, kind = 'info') {
  leavePage();
  me = null;
  nav.hidden = true;
  who.hidden = true;
  const tokenBox = h('textarea', {
    id: 'token',
    name: 'token',
    rows: 4,
    required: true,
    autocomplete: 'off',
    spellcheck: 'false',
    'aria-describedby': 'token-help',
  });
  const problem = h('div', { id: 'signin-message', 'aria-live': 'polite' });
  if (message)
    fill(problem, h('p', { class: `notice ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, message));
  const form = h(
    'form',
    { class: 'signin', novalidate: true },
    h('label', { for: 'token' }, 'Access token'),
    tokenBox,
    h(
      'p',
      { id: 'token-help', class: 'help' },
      'Paste a bearer token from your identity provider. On a development federation: ',
      h('code', {}, 'npm run -s cohort -- dev token --role researcher'),
      '. The token stays in this browser tab only (session storage) until you sign out or close the tab.',
    ),
    h('button', { type: 'submit' }, 'Sign in'),
    problem,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const token = tokenBox.value.trim().replace(/^Bearer\s+/i, '');
    if (!token) {
      fill(problem, h('p', { class: 'notice error', role: 'alert' }, 'Paste a token first.'));
      tokenBox.focus();
      return;
    }
    void signIn(token, problem);
  });
  fill(main, pageHeading('Sign in'), form);
  tokenBox.focus();
}

/**
 * @param {string} token
 * @param {HTMLElement} problem where a refusal is shown
 */
async function signIn(token, problem) {
  fill(problem, h('p', { class: 'notice info', role: 'status' }, 'Checking the token…'));
  try {
    const user = /** @type {Me} */ (await getJson('v1/me', { token }));
    storeToken(token);
    signedIn(user);
  } catch (err) {
    fill(problem, h('p', { class: 'notice error', role: 'alert' }, describeError(err)));
  }
}

/** @param {Me} user */
function signedIn(user) {
  me = user;
  const roles = user.roles.length > 0 ? user.roles.join(', ') : 'no role';
  const until = new Date(user.expiresAt);
  fill(
    whoText,
    'Signed in as ',
    h('strong', { id: 'who-name' }, user.name || user.subject),
    ` (${user.subject}; ${roles}) until ${until.toLocaleTimeString()}`,
  );
  who.hidden = false;
  for (const link of nav.querySelectorAll('a[data-permission]')) {
    const item = /** @type {HTMLElement} */ (link.parentElement);
    // Removed rather than disabled: a link the user may not follow is noise to read past.
    item.hidden = !can(me, link.getAttribute('data-permission') ?? '');
  }
  nav.hidden = false;
  window.clearTimeout(expiryTimer);
  const left = until.getTime() - Date.now();
  if (left < 2 ** 31) {
    expiryTimer = window.setTimeout(
      () => signOut(`Your sign-in expired at ${until.toLocaleString()}.`, 'error'),
      left,
    );
  }
  route();
}

/**
 * @param {string} message
 * @param {'error' | 'info'} [kind]
 */
function signOut(message, kind = 'info') {
  forgetToken();
  window.clearTimeout(expiryTimer);
  showSignIn(message, kind);
}

/** @returns {{ path: string[], params: URLSearchParams }} */
function currentRoute() {
  const [path = '', query = ''] = location.hash.replace(/^#\/?/, '').split('?');
  return {
    path: path.split('/').filter(Boolean).map(decodeURIComponent),
    params: new URLSearchParams(query),
  };
}

function route() {
  if (!me) return;
  leavePage();
  const { path, params } = currentRoute();
  const section = path[0] ?? 'jobs';
  for (const link of nav.querySelectorAll('a[data-route]')) {
    if (link.getAttribute('data-route') === section) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  const ctx = { me, main, params, announce };
  main.replaceChildren();
  if (section === 'jobs' && path[1]) cleanup = renderJob(ctx, path[1]);
  else if (section === 'jobs') cleanup = renderJobs(ctx);
  else if (section === 'submit') cleanup = renderSubmit(ctx);
  else if (section === 'audit') cleanup = renderAudit(ctx);
  else fill(main, pageHeading('Page not found'), h('p', {}, h('a', { href: '#/jobs' }, 'Go to the jobs')));
  const heading = document.getElementById('page-heading');
  document.title = `${heading?.textContent ?? 'Cohort'} · Cohort dashboard`;
  heading?.focus();
}

whenSignInRefused((err) => signOut(describeError(err), 'error'));
signOutButton.addEventListener('click', () => signOut('You are signed out.'));
window.addEventListener('hashchange', route);

async function start() {
  const token = storedToken();
  if (!token) {
    showSignIn();
    return;
  }
  try {
    signedIn(/** @type {Me} */ (await getJson('v1/me', { token })));
  } catch (err) {
    // A refused token is dropped; an unreachable gateway keeps it, so a reload can succeed.
    if (err instanceof Error && 'status' in err && err.status === 401) forgetToken();
    showSignIn(describeError(err), 'error');
  }
}

void start();

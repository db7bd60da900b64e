import { createPublicKey } from 'node:crypto';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { readAuditExport, verifyAuditExport } from '@cohort/audit';
import { COHORT_BIN } from '../services/cli/src/demo/processes.js';
import {
  EXAMPLES_DIR,
  http,
  startFederation,
  waitFor,
  waitForConnected,
  type Federation,
} from './support/federation.js';

// The dashboard in Debian's Chromium (never a downloaded browser), against a real federation of the four
// heart-disease hospitals: a researcher submits and follows a job, a compliance officer checks the audit trail.

const HOSPITALS = ['cleveland', 'hungarian', 'switzerland', 'va'];
const ROUNDS = 3;
const RESEARCHER = 'alice.researcher';
const AUDITOR = 'carol.compliance';
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), '../test-artifacts/dashboard');

interface Guarded {
  context: BrowserContext;
  page: Page;
  /** Requests the browser tried to send anywhere but the gateway (each one aborted). */
  foreign: string[];
  /** Content-Security-Policy violations of every document loaded (loads refused before reaching the network). */
  violations: string[];
  /** Uncaught exceptions in the page's scripts. */
  pageErrors: string[];
}

let browser: Browser;

beforeAll(async () => {
  await mkdir(ARTIFACTS, { recursive: true });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
});

afterAll(async () => {
  await browser?.close();
});

/** Nothing reached for beyond the gateway, refused by the page's policy, or thrown by its scripts. */
function expectSelfContained(c: Guarded): void {
  expect(c.foreign).toEqual([]);
  expect(c.violations).toEqual([]);
  expect(c.pageErrors).toEqual([]);
}

/** A fresh browser profile in which every request to another origin is refused and written down. */
async function guardedPage(origin: string): Promise<Guarded> {
  const context = await browser.newContext({
    viewport: { width: 1280, height: 900 },
    acceptDownloads: true,
  });
  const foreign: string[] = [];
  await context.route('**/*', async (route) => {
    const url = route.request().url();
    if (new URL(url).origin === origin) return route.continue();
    foreign.push(url);
    return route.abort('blockedbyclient');
  });
  // Loads the page's policy refuses never reach the network (or the route above): count them as attempts too,
  // reported as they happen so a navigation cannot lose them. (Browser-side callbacks reach the page's globals
  // through globalThis: the tests compile without the DOM lib.)
  const violations: string[] = [];
  await context.exposeFunction('__cohortCspViolation', (v: string) => violations.push(v));
  await context.addInitScript(() => {
    const w = globalThis as any;
    w.document.addEventListener(
      'securitypolicyviolation',
      (e: any) => void w.__cohortCspViolation(`${e.violatedDirective} ${e.blockedURI}`),
    );
  });
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
  return { context, page, foreign, pageErrors, violations };
}

async function signIn(page: Page, gatewayUrl: string, token: string): Promise<void> {
  await page.goto(`${gatewayUrl}/`);
  await page.getByLabel('Access token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#who-name').waitFor();
}

async function shoot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

describe('the web dashboard, in Chromium, against four hospitals', () => {
  let f: Federation;
  let jobId: string;
  const contexts: Guarded[] = [];

  beforeAll(async () => {
    f = await startFederation();
    await Promise.all(HOSPITALS.map(async (h) => f.startSilo(h, await f.hospitalConfig(h))));
    await waitForConnected(f, HOSPITALS.length);
  }, 180_000);

  afterAll(async () => {
    await f?.stop();
  }, 60_000);

  async function guarded(): Promise<Guarded> {
    const g = await guardedPage(new URL(f.gatewayUrl).origin);
    contexts.push(g);
    return g;
  }

  it('lets a researcher submit a job from the page and follow it live to the end; no audit page', async () => {
    const { page } = await guarded();
    await page.goto(`${f.gatewayUrl}/`);
    expect(new URL(page.url()).pathname).toBe('/ui/');

    // A token the gateway refuses is explained, and nothing is stored.
    await page.getByLabel('Access token').fill('not-a-jwt');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toMatch(/Sign-in refused \(TOKEN_[A-Z_]+\)/);
    expect(await page.evaluate(() => (globalThis as any).sessionStorage.length as number)).toBe(0);
    await shoot(page, 'sign-in-refused');

    await signIn(page, f.gatewayUrl, await f.tokenFor(RESEARCHER, ['researcher']));
    await expect(page.locator('#who-text').textContent()).resolves.toContain(`${RESEARCHER}; researcher`);
    await expect(page.locator('#who-text').textContent()).resolves.toMatch(/until /);
    const nav = page.getByRole('navigation', { name: 'Main' });
    await expect(nav.getByRole('link', { name: 'Jobs' }).isVisible()).resolves.toBe(true);
    await expect(nav.getByRole('link', { name: 'Submit a job' }).isVisible()).resolves.toBe(true);
    expect(await page.getByRole('link', { name: /audit/i }).count()).toBe(0);
    // Typed into the address bar, the audit page says no without asking the gateway.
    await page.goto(`${f.gatewayUrl}/ui/#/audit`);
    await expect(page.getByRole('alert').textContent()).resolves.toMatch(/Not allowed.*audit\.read/);

    // The form starts from the example spec; the gateway's refusal is listed field by field.
    await nav.getByRole('link', { name: 'Submit a job' }).click();
    const specBox = page.getByLabel('Job spec (JSON)');
    await page.waitForFunction(() =>
      Boolean((globalThis as any).document.getElementById('spec')?.value.includes('heart-disease-demo')),
    );
    const example = JSON.parse(await readFile(join(EXAMPLES_DIR, 'job.json'), 'utf8'));
    expect(JSON.parse(await specBox.inputValue())).toEqual(example);
    await specBox.fill(JSON.stringify({ ...example, rounds: -2, model: { template: 'forest' } }, null, 2));
    await page.getByRole('button', { name: 'Submit job' }).click();
    const problems = page.locator('#spec-problems li');
    await problems.first().waitFor();
    const fields = await problems.evaluateAll((items) => items.map((li) => li.getAttribute('data-field')));
    expect(fields).toEqual(expect.arrayContaining(['rounds', 'model.template']));
    await expect(page.locator('#spec-problems').textContent()).resolves.toMatch(/fields need fixing/);
    await expect(specBox.getAttribute('aria-invalid')).resolves.toBe('true');
    await shoot(page, 'submit-field-errors');

    await specBox.fill(JSON.stringify({ ...example, name: 'dashboard-e2e', rounds: ROUNDS }, null, 2));
    await page.getByRole('button', { name: 'Submit job' }).click();
    await page.waitForURL(/#\/jobs\/[0-9a-f-]{36}$/);
    jobId = decodeURIComponent(page.url().split('#/jobs/')[1]);
    await page.locator('h1', { hasText: /^Job dashboard-e2e$/ }).waitFor();

    // Live: the rounds and the end arrive through the event stream while the page stays open (no reload, no
    // polling). The first round may start before the stream is open; the stream's first event carries the job.
    await page.locator('#job-summary [data-status="completed"]').waitFor({ timeout: 120_000 });
    const events = await page
      .locator('#activity li')
      .evaluateAll((items) => items.map((li) => [li.getAttribute('data-type'), li.textContent]));
    expect(events[0][0]).toBe('status');
    expect(events[0][1]).toMatch(/Status: completed$/);
    expect(events[events.length - 1][0]).toBe('status');
    const completedRounds = events.filter(([t]) => t === 'round_completed').map(([, text]) => text);
    expect(completedRounds.length).toBeGreaterThanOrEqual(1);
    expect(completedRounds[0]).toMatch(new RegExp(`Completed round ${ROUNDS} — accuracy 0\\.\\d+`));
    await expect(page.locator('#live-status').textContent()).resolves.toContain('completed');

    // One point per round on each chart, with the same numbers as the API.
    const job = (await http('GET', `${f.gatewayUrl}/v1/jobs/${jobId}`)).body;
    expect(job.status).toBe('completed');
    for (const metric of ['loss', 'accuracy', 'auc'] as const) {
      const chart = page.locator(`figure[data-chart="${metric}"]`);
      expect(await chart.locator('circle.point').count()).toBe(ROUNDS);
      const shown = await chart.locator('tbody td:nth-child(2)').allTextContents();
      expect(shown).toEqual(job.rounds.map((r: any) => r.metrics[metric].toFixed(3)));
    }
    expect(await page.locator('figure[data-chart="epsilon"]').count()).toBe(0);
    // Every hospital accepted the offer and had its update accepted in every round.
    for (const hospital of HOSPITALS) {
      const row = page.locator(`#silo-table tr[data-silo="${hospital}"]`);
      await expect(row.locator('td').first().textContent()).resolves.toContain('accepted');
      const states = await row
        .locator('td.cell')
        .evaluateAll((cells) => cells.map((c) => c.getAttribute('data-state')));
      expect(states).toEqual(Array(ROUNDS).fill('accepted'));
    }
    expect(await page.locator('#cancel-job').count()).toBe(0);
    expect(await page.locator('#job-audit-link').count()).toBe(0);
    await shoot(page, 'job-researcher');

    // The owner may download the released model: both files of the TensorFlow.js layers format, as named.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.locator('#download-model').click(),
    ]);
    expect(download.suggestedFilename()).toBe('model.json');
    const model = JSON.parse(await readFile(await download.path(), 'utf8'));
    expect(model.format).toBe('layers-model');
    expect(model.weightsManifest[0].paths).toEqual(['model.weights.bin']);
    const [weights] = await Promise.all([
      page.waitForEvent('download'),
      page.locator('#download-weights').click(),
    ]);
    expect(weights.suggestedFilename()).toBe('model.weights.bin');
    // Logistic regression on the ten features: ten weights and a bias, float32.
    expect((await readFile(await weights.path())).byteLength).toBe(11 * 4);

    // The list shows the job with its owner and progress.
    await nav.getByRole('link', { name: 'Jobs' }).click();
    const listed = page.locator(`#jobs-table tr[data-job-id="${jobId}"]`);
    await listed.waitFor();
    const cells = await listed.locator('td').allTextContents();
    expect(cells[1]).toContain('completed');
    expect(cells[2]).toBe(`${ROUNDS} of ${ROUNDS}`);
    expect(cells[3]).toBe(RESEARCHER);
    await shoot(page, 'jobs-researcher');
  }, 180_000);

  it('shows compliance the audit trail verified and exportable, and the job without a model download', async () => {
    expect(jobId).toBeDefined();
    const { page } = await guarded();
    // Signed in from the keyboard alone: type the token, Tab to the button, Enter.
    await page.goto(`${f.gatewayUrl}/ui/`);
    await page.getByLabel('Access token').fill(await f.tokenFor(AUDITOR, ['compliance']));
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.locator('#who-name').waitFor();
    const nav = page.getByRole('navigation', { name: 'Main' });
    expect(await nav.getByRole('link', { name: 'Submit a job' }).isVisible()).toBe(false);

    // Everyone's jobs, and the list refreshes by itself: a job submitted elsewhere appears without a reload.
    await page.locator(`#jobs-table tr[data-job-id="${jobId}"]`).waitFor();
    await page.evaluate(() => ((globalThis as any).__samePage = true));
    const spec = JSON.parse(await readFile(join(EXAMPLES_DIR, 'job.json'), 'utf8'));
    const other = await http(
      'POST',
      `${f.gatewayUrl}/v1/jobs`,
      { ...spec, name: 'submitted-elsewhere', rounds: 1 },
      {
        token: await f.tokenFor('bob.researcher', ['researcher']),
      },
    );
    expect(other.status).toBe(201);
    const row = page.locator(`#jobs-table tr[data-job-id="${other.body.jobId}"]`);
    await row.waitFor({ timeout: 15_000 });
    await expect(row.locator('td').nth(3).textContent()).resolves.toBe('bob.researcher');
    expect(await page.evaluate(() => (globalThis as any).__samePage as boolean)).toBe(true);

    await nav.getByRole('link', { name: 'Audit' }).focus();
    await page.keyboard.press('Enter');
    await page.locator('h1', { hasText: 'Audit trail' }).waitFor();

    const verdict = page.locator('#verify-status');
    await page.locator('#verify-status[data-state="ok"], #verify-status[data-state="broken"]').waitFor();
    await expect(verdict.getAttribute('data-state')).resolves.toBe('ok');
    await expect(verdict.textContent()).resolves.toMatch(
      /✓ OK: the chain verifies — \d+ entries, \d+ signed checkpoints/,
    );
    await page.locator('#audit-table tbody tr[data-seq]').first().waitFor();

    // Filtered to the job: every entry shown concerns it.
    await page.getByLabel('Job ID').fill(jobId);
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForFunction((id) => {
      const rows: any[] = [
        ...(globalThis as any).document.querySelectorAll('#audit-table tbody tr[data-seq]'),
      ];
      return rows.length > 0 && rows.every((tr) => String(tr.textContent).includes(id));
    }, jobId);
    const actions = await page.locator('#audit-table tbody tr td:nth-child(4)').allTextContents();
    expect(actions).toEqual(expect.arrayContaining(['job.submitted', 'update.accepted']));
    expect(page.url()).toContain(`#/audit?jobId=${jobId}`);
    await shoot(page, 'audit-compliance');

    // The export is fetched with the token and saved: a whole export of the job's entries that verifies offline.
    const [jsonl] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export JSON Lines' }).click(),
    ]);
    expect(jsonl.suggestedFilename()).toMatch(/^cohort-audit-.*\.jsonl$/);
    const text = await readFile(await jsonl.path(), 'utf8');
    const header = JSON.parse(text.split('\n')[0]);
    expect(header).toMatchObject({ type: 'header', format: 'cohort-audit/1', kind: 'export', partial: true });
    expect(header.filter).toMatchObject({ jobId });
    const exported = await readAuditExport(text);
    expect(exported.entries.length).toBeGreaterThan(0);
    const key = createPublicKey(await readFile(join(f.home, 'audit-key', 'public.pem'), 'utf8'));
    await expect(verifyAuditExport(exported, [key])).resolves.toMatchObject({ ok: true });
    const [csv] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export CSV' }).click(),
    ]);
    expect((await readFile(await csv.path(), 'utf8')).split('\r\n')[0]).toMatch(
      /^record_type,seq,time,actor/,
    );

    // The job's page: every metric, but no model for compliance, and no cancel.
    await page.goto(`${f.gatewayUrl}/ui/#/jobs/${jobId}`);
    await page.locator('#job-summary [data-status="completed"]').waitFor();
    expect(await page.locator('figure[data-chart="auc"] circle.point').count()).toBe(ROUNDS);
    await page.locator('#job-audit-link').waitFor();
    expect(await page.locator('#download-model, #download-weights').count()).toBe(0);
    expect(await page.getByRole('button', { name: /model|download/i }).count()).toBe(0);
    expect(await page.locator('#cancel-job').count()).toBe(0);
    await shoot(page, 'job-compliance');

    // A broken chain is said plainly, with the entry and the fault (the gateway's answer played back here: the
    // trail itself cannot be altered while the aggregator holds it).
    await page.route('**/v1/audit/verify', (route) =>
      route.fulfill({
        json: {
          ok: false,
          entries: 30,
          checkpoints: 3,
          firstBrokenSeq: 17,
          fault: { code: 'ENTRY_HASH_MISMATCH', message: 'entry 17 does not hash to its stored hash' },
          uncheckpointedTail: 0,
          signers: ['ab'.repeat(32)],
        },
      }),
    );
    await page.goto(`${f.gatewayUrl}/ui/#/audit`);
    await page.locator('#verify-status[data-state="broken"]').waitFor();
    await expect(verdict.textContent()).resolves.toMatch(
      /✗ BROKEN at entry 17: ENTRY_HASH_MISMATCH — entry 17 does not hash to its stored hash/,
    );
    await shoot(page, 'audit-broken');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Access token').waitFor();
    expect(
      await page.evaluate(() => (globalThis as any).sessionStorage.getItem('cohort.token') as string | null),
    ).toBeNull();
  }, 120_000);

  it('draws ε spent against the target, rejected and missing updates and outlier flags, live (played back)', async () => {
    // A DP job under a robust rule with a rejected update, a missing silo and an outlier: a state a real run of
    // this size rarely reaches, so the gateway's answers for this one job are played back in the page.
    const { page } = await guarded();
    await signIn(page, f.gatewayUrl, await f.tokenFor(RESEARCHER, ['researcher']));
    const silo = (siloId: string, updateStatus = 'accepted', extra: Record<string, unknown> = {}) => ({
      siloId,
      updateStatus,
      reason: updateStatus === 'accepted' ? '' : `${siloId}: ${updateStatus}`,
      exampleCount: 100,
      trainMs: 10,
      metrics: null,
      ...extra,
    });
    const round = (n: number, epsilonSpent: number, silos: unknown[]) => ({
      round: n,
      status: 'completed',
      epsilonSpent,
      startedAtUnixMs: 1,
      closedAtUnixMs: 2,
      durationMs: 1,
      metrics: { loss: 0.7 - n / 20, accuracy: 0.6 + n / 20, auc: 0.65 + n / 20, examples: 231 },
      silos,
    });
    const outlier = { distance: 3.2, cosine: -0.4, norm: 5, flagged: true };
    const job = {
      jobId: 'played-back-dp-job',
      status: 'running',
      currentRound: 3,
      failureReason: '',
      submittedBy: RESEARCHER,
      createdAtUnixMs: Date.now() - 60_000,
      updatedAtUnixMs: Date.now(),
      spec: {
        name: 'dp-median',
        rounds: 4,
        minSilos: 3,
        model: { template: 'logreg', hiddenUnits: [] },
        dataset: { id: 'uci-heart-disease', features: ['age'] },
        aggregation: { rule: 'median', params: {} },
        privacy: { enabled: true, targetEpsilon: 3, delta: 0.001, level: 'silo', mode: 'central' },
      },
      decisions: HOSPITALS.map((h) => ({ siloId: h, accept: true, reason: '', decidedAtUnixMs: 1 })),
      rounds: [
        round(
          1,
          0.9,
          HOSPITALS.map((h) => silo(h)),
        ),
        round(2, 1.6, [
          silo('cleveland'),
          silo('hungarian', 'accepted', { outlier }),
          silo('switzerland'),
          silo('va', 'rejected'),
        ]),
        round(3, 2.2, [silo('cleveland'), silo('hungarian'), silo('switzerland', 'missing'), silo('va')]),
      ],
    };
    const event = (type: string, extra: Record<string, unknown>) =>
      `event: ${type}\r\ndata: ${JSON.stringify({ type, round: 4, siloId: null, message: '', at: new Date().toISOString(), ...extra })}\r\n\r\n`;
    await page.route(`**/v1/jobs/${job.jobId}`, (r) => r.fulfill({ json: job }));
    await page.route(`**/v1/jobs/${job.jobId}/events`, (r) =>
      r.fulfill({
        contentType: 'text/event-stream',
        body:
          event('status', { round: 3, message: 'running', job }) +
          ': a comment line the parser skips\n\n' +
          event('round_started', {}) +
          event('update_accepted', { siloId: 'cleveland', message: 'accepted' }) +
          event('update_rejected', {
            siloId: 'va',
            message: 'UPDATE_SIZE_MISMATCH: 14 values, 11 expected',
          }) +
          event('outlier', { siloId: 'hungarian', message: 'distance 4.1000' }),
      }),
    );
    await page.goto(`${f.gatewayUrl}/ui/#/jobs/${job.jobId}`);
    await page.locator('#activity li[data-type="outlier"]').first().waitFor();

    const epsilon = page.locator('figure[data-chart="epsilon"]');
    expect(await epsilon.locator('circle.point').count()).toBe(3);
    await expect(epsilon.locator('.reference text').textContent()).resolves.toBe('target ε 3.00');
    await expect(page.locator('#epsilon-summary').textContent()).resolves.toMatch(
      /^ε spent 2\.200 of the target 3\.000 \(δ = 0\.001\); silo level, central noise\./,
    );
    const cell = (siloId: string, r: number) =>
      page.locator(`#silo-table tr[data-silo="${siloId}"] td[data-round="${r}"]`);
    await expect(cell('va', 2).getAttribute('data-state')).resolves.toBe('rejected');
    await expect(cell('va', 2).textContent()).resolves.toContain('va: rejected');
    await expect(cell('switzerland', 3).getAttribute('data-state')).resolves.toBe('missing');
    await expect(cell('hungarian', 2).getAttribute('data-flagged')).resolves.toBe('true');
    await expect(cell('hungarian', 2).textContent()).resolves.toContain('distance 3.2000');
    await expect(cell('cleveland', 2).getAttribute('data-flagged')).resolves.toBe('false');
    // Round 4, from the stream alone: received, rejected with its reason, flagged.
    await expect(cell('cleveland', 4).getAttribute('data-state')).resolves.toBe('received');
    await expect(cell('va', 4).getAttribute('data-state')).resolves.toBe('rejected');
    await expect(cell('va', 4).textContent()).resolves.toContain('UPDATE_SIZE_MISMATCH');
    await expect(cell('hungarian', 4).getAttribute('data-flagged')).resolves.toBe('true');
    await expect(cell('switzerland', 4).getAttribute('data-state')).resolves.toBe('absent');
    await expect(page.locator('#cancel-job').isVisible()).resolves.toBe(true);
    await shoot(page, 'job-dp-outliers');
  }, 60_000);

  it('loaded nothing from anywhere but the gateway, and no script failed', () => {
    expect(contexts.length).toBe(3);
    for (const c of contexts) expectSelfContained(c);
  });
});

describe('npm run demo -- --serve', () => {
  it('prints the dashboard and its two tokens, serves it after the job, and stops cleanly on SIGINT', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'cohort-demo-serve-'));
    const demo = spawn(process.execPath, [COHORT_BIN, 'demo', '--rounds', '2', '--serve', '--json'], { cwd });
    let stderr = '';
    let stdout = '';
    demo.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    demo.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => demo.once('exit', (code) => resolve(code)));
    try {
      await waitFor(
        'the demo to serve',
        () => Promise.resolve(stderr.includes('press Ctrl-C') ? true : undefined),
        150_000,
      );
      // --json keeps standard output to the result, printed while the federation still runs.
      const result = JSON.parse(stdout.trim().split('\n').pop()!);
      expect(result.status).toBe('completed');
      const url = /Dashboard: (http:\/\/127\.0\.0\.1:\d+\/ui\/)/.exec(stderr)?.[1];
      expect(url).toBeDefined();
      const researcher = /researcher \(demo-researcher[^\n]*\n\s+(\S+)/.exec(stderr)?.[1];
      const compliance = /compliance \(demo-compliance[^\n]*\n\s+(\S+)/.exec(stderr)?.[1];
      const gatewayUrl = new URL(url!).origin;
      const me = await http('GET', `${gatewayUrl}/v1/me`, undefined, { token: compliance });
      expect(me.body).toMatchObject({ subject: 'demo-compliance', roles: ['compliance'] });

      // The demo's job belongs to the printed researcher: its page offers the model.
      const g = await guardedPage(gatewayUrl);
      await signIn(g.page, gatewayUrl, researcher!);
      await g.page.goto(`${url}#/jobs/${result.jobId}`);
      await g.page.locator('#job-summary [data-status="completed"]').waitFor();
      expect(await g.page.locator('figure[data-chart="loss"] circle.point').count()).toBe(2);
      await g.page.locator('#download-model').waitFor();
      await shoot(g.page, 'demo-serve-job');
      await g.context.close();
      expectSelfContained(g);

      demo.kill('SIGINT');
      await expect(exited).resolves.toBe(0);
      expect(stderr).toContain('interrupted: stopping the federation');
      expect(stderr).not.toContain('did not exit cleanly');
      await expect(fetch(`${gatewayUrl}/healthz`)).rejects.toThrow();
    } finally {
      if (demo.exitCode === null) demo.kill('SIGKILL');
      await rm(cwd, { recursive: true, force: true });
    }
  }, 200_000);
});

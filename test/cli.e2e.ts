// The researcher's CLI end to end: login, job submit (YAML) --watch, list, download, cancel, and the errors a
// person meets (no token, a compliance token asking for a model, an invalid spec, unreadable YAML).
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { COHORT_BIN } from '../services/cli/src/demo/processes.js';
import { EXAMPLES_DIR, startFederation, waitForConnected, type Federation } from './support/federation.js';

const run = promisify(execFile);
const HOSPITALS = ['cleveland', 'hungarian', 'switzerland', 'va'];

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

describe('cohort job … (the researcher CLI)', () => {
  let f: Federation;
  let home: string;

  /** `cohort <args>` with its own COHORT_HOME (where `cohort login` keeps the token) and the gateway's URL. */
  async function cohort(env: Record<string, string>, ...args: string[]): Promise<Outcome> {
    try {
      const { stdout, stderr } = await run(process.execPath, [COHORT_BIN, ...args], {
        timeout: 180_000,
        env: {
          ...process.env,
          COHORT_HOME: home,
          COHORT_GATEWAY_URL: f.gatewayUrl,
          COHORT_TOKEN: '',
          ...env,
        },
      });
      return { code: 0, stdout, stderr };
    } catch (err: any) {
      if (typeof err.code !== 'number') throw err;
      return { code: err.code, stdout: err.stdout, stderr: err.stderr };
    }
  }
  const lastJson = (o: Outcome): any => JSON.parse(o.stdout.trim().split('\n').at(-1)!);

  beforeAll(async () => {
    f = await startFederation();
    await Promise.all(HOSPITALS.map(async (h) => f.startSilo(h, await f.hospitalConfig(h))));
    await waitForConnected(f, HOSPITALS.length);
    home = await mkdtemp(join(tmpdir(), 'cohort-cli-home-'));
  }, 240_000);

  afterAll(async () => {
    await f?.stop();
    if (home) await rm(home, { recursive: true, force: true });
  }, 60_000);

  it('signs in, submits a YAML spec and watches it complete, lists it and downloads the model', async () => {
    const minted = await cohort(
      {},
      'dev',
      'token',
      '--role',
      'researcher',
      '--subject',
      'ada',
      '--federation',
      f.files.dir,
      '--json',
    );
    expect(minted.code).toBe(0);
    const { token } = lastJson(minted);

    const noToken = await cohort({}, 'job', 'list');
    expect(noToken.code).toBe(1);
    expect(noToken.stderr).toMatch(/HTTP 401/);
    expect(noToken.stderr).toMatch(/cohort login/);

    const login = await cohort({}, 'login', '--token', token, '--json');
    expect(login.code).toBe(0);
    expect(lastJson(login)).toMatchObject({ subject: 'ada', roles: ['researcher'] });
    expect((await stat(join(home, 'token'))).mode & 0o777).toBe(0o600);

    const spec = JSON.parse(await readFile(join(EXAMPLES_DIR, 'job.json'), 'utf8'));
    const specFile = join(home, 'job.yaml');
    await writeFile(specFile, stringify({ ...spec, rounds: 2 }));
    const submitted = await cohort({}, 'job', 'submit', specFile, '--watch', '--json');
    expect([submitted.code, submitted.stderr]).toEqual([0, expect.stringContaining('Submitted job')]);
    const job = lastJson(submitted);
    expect(job).toMatchObject({ status: 'completed', submittedBy: 'ada' });
    expect(job.rounds).toHaveLength(2);

    const listed = lastJson(await cohort({}, 'job', 'list', '--json'));
    expect(listed.jobs.map((j: any) => j.jobId)).toContain(job.jobId);
    expect(listed.jobs.every((j: any) => j.submittedBy === 'ada')).toBe(true);

    const out = join(home, 'model');
    const downloaded = await cohort({}, 'job', 'download', job.jobId, '--out', out, '--json');
    expect(downloaded.code).toBe(0);
    expect(lastJson(downloaded).bytes).toBe(11 * 4);
    const modelJson = JSON.parse(await readFile(join(out, 'model.json'), 'utf8'));
    expect(modelJson.weightsManifest[0].paths).toEqual(['model.weights.bin']);
    expect((await stat(join(out, 'model.weights.bin'))).size).toBe(11 * 4);

    const watched = await cohort({}, 'job', 'watch', job.jobId, '--json');
    expect([watched.code, lastJson(watched).status]).toEqual([0, 'completed']);

    // Compliance reads every job but never downloads a model.
    const compliance = lastJson(
      await cohort({}, 'dev', 'token', '--role', 'compliance', '--federation', f.files.dir, '--json'),
    ).token;
    const refused = await cohort({ COHORT_TOKEN: compliance }, 'job', 'download', job.jobId, '--out', out);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/HTTP 403.*may not model\.download/);
    const all = lastJson(await cohort({ COHORT_TOKEN: compliance }, 'job', 'list', '--json'));
    expect(all.jobs.map((j: any) => j.jobId)).toContain(job.jobId);
  }, 300_000);

  it('cancels a running job, and explains a bad spec or a bad file', async () => {
    const spec = JSON.parse(await readFile(join(EXAMPLES_DIR, 'job.json'), 'utf8'));
    const long = join(home, 'long.json');
    await writeFile(long, JSON.stringify({ ...spec, rounds: 500 }));
    const submitted = lastJson(await cohort({}, 'job', 'submit', long, '--json'));
    const cancelled = await cohort(
      {},
      'job',
      'cancel',
      submitted.jobId,
      '--reason',
      'wrong features',
      '--json',
    );
    expect([cancelled.code, lastJson(cancelled).status]).toEqual([0, 'cancelled']);

    const invalid = join(home, 'invalid.json');
    await writeFile(
      invalid,
      JSON.stringify({ ...spec, rounds: 0, aggregation: { rule: 'krum', params: { f: 3 } } }),
    );
    const bad = await cohort({}, 'job', 'submit', invalid);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/HTTP 400/);
    expect(bad.stderr).toMatch(/rounds:/);
    expect(bad.stderr).toMatch(/aggregation\.params\.f:/);

    const broken = join(home, 'broken.yaml');
    await writeFile(broken, 'name: [unclosed\n');
    const unreadable = await cohort({}, 'job', 'submit', broken);
    expect(unreadable.code).toBe(2);
    expect(unreadable.stderr).toMatch(/broken\.yaml is not valid YAML/);
    expect((await cohort({}, 'job', 'submit', join(home, 'missing.json'))).code).toBe(2);
  }, 120_000);
});

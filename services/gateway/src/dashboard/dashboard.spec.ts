import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startGateway, type RunningGateway } from '../bootstrap.js';
import { DEFAULT_EXAMPLE_JOB, DEFAULT_WEB_DIR } from './dashboard-assets.js';

// No aggregator is needed: the dashboard's files are served by the gateway alone (gRPC connects lazily).
let gateway: RunningGateway;

beforeAll(async () => {
  gateway = await startGateway({
    aggregatorUrl: '127.0.0.1:9',
    insecureTransport: true,
    port: 0,
    logLevel: 'silent',
  });
});

afterAll(async () => {
  await gateway.close();
});

const get = (path: string, headers: Record<string, string> = {}): Promise<Response> =>
  fetch(`${gateway.url}${path}`, { headers, redirect: 'manual' });

describe('the dashboard served by the gateway', () => {
  it('sends / and /ui to the page folder with relative redirects', async () => {
    const root = await get('/');
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('ui/');
    const noSlash = await get('/ui');
    expect(noSlash.status).toBe(301);
    expect(noSlash.headers.get('location')).toBe('ui/');
  });

  it('serves the page without sign-in, under a policy that allows nothing from other origins', async () => {
    const page = await get('/ui/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toMatch(/https?:|\*|unsafe-inline|unsafe-eval/);
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await page.text();
    expect(html).toContain('<script type="module" src="app.js">');
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
  });

  it('serves every module the page imports, and nothing refers to another origin', async () => {
    const seen = new Set<string>();
    const queue = ['app.js'];
    while (queue.length > 0) {
      const name = queue.pop()!;
      if (seen.has(name)) continue;
      seen.add(name);
      const res = await get(`/ui/${name}`);
      expect({ name, status: res.status }).toEqual({ name, status: 200 });
      expect(res.headers.get('content-type')).toMatch(/^text\/javascript/);
      const source = await res.text();
      expect(source).not.toMatch(
        /\bfrom\s+['"](?!\.\/)|import\(\s*['"](?!\.\/)|https?:\/\/(?!www\.w3\.org\/2000\/svg)/,
      );
      for (const m of source.matchAll(/\bfrom\s+'\.\/([^']+)'/g)) queue.push(m[1]);
    }
    expect([...seen].sort()).toEqual(
      expect.arrayContaining(['api.js', 'app.js', 'audit-page.js', 'charts.js', 'job-page.js', 'sse.js']),
    );
    const css = await get('/ui/app.css');
    expect(css.headers.get('content-type')).toMatch(/^text\/css/);
    expect(await css.text()).not.toMatch(/url\(|@import/);
  });

  it('answers 304 to a revalidation with the same ETag', async () => {
    const first = await get('/ui/app.js');
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^"[\w-]+"$/);
    expect(first.headers.get('cache-control')).toBe('no-cache');
    // As a browser revalidates; fetch() would otherwise add Cache-Control: no-cache, which forces a full answer.
    const again = await get('/ui/app.js', { 'if-none-match': etag!, 'cache-control': 'max-age=0' });
    expect(again.status).toBe(304);
  });

  it('serves the example job the demo submits, for the submit form', async () => {
    const res = await get('/ui/example-job.json');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(JSON.parse(await readFile(DEFAULT_EXAMPLE_JOB, 'utf8')));
  });

  it('serves only the files it read at start: no other name, no way out of the folder', async () => {
    for (const path of [
      '/ui/nope.js',
      '/ui/tsconfig.json',
      '/ui/..%2Fsrc%2Fconfig.ts',
      '/ui/%2e%2e%2fpackage.json',
      '/ui/App.js',
    ]) {
      const res = await get(path);
      expect({ path, status: res.status }).toEqual({ path, status: 404 });
      const body = (await res.json()) as { error: { code: string } };
      expect(body.error.code).toBe('NOT_FOUND');
    }
    await expect(readFile(join(DEFAULT_WEB_DIR, 'tsconfig.json'), 'utf8')).resolves.toContain('checkJs');
  });

  it('leaves the API behind sign-in', async () => {
    const res = await get('/v1/jobs');
    expect(res.status).toBe(401);
  });
});

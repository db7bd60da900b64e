import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One file of the dashboard, read once at start so a request never touches the file system. */
export interface DashboardAsset {
  body: Buffer;
  contentType: string;
  /** A strong validator, so a browser revalidates with If-None-Match instead of downloading again. */
  etag: string;
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json; charset=utf-8',
};

/** Names a request may ask for: no separators or dots beyond the extension, so no path can escape the folder. */
export const ASSET_NAME = /^[a-z0-9][a-z0-9-]*\.(html|js|css|svg|json)$/;

/** The page's own type-checking settings live next to it; they are source, not something a browser needs. */
const NOT_SERVED = new Set(['tsconfig.json']);

/** The example job the submit form starts from, served under this name so the page and the CLI share one file. */
export const EXAMPLE_JOB_ASSET = 'example-job.json';

const here = dirname(fileURLToPath(import.meta.url));

/**
 * The checkout's root, from sources (services/gateway/src/dashboard) or from the build
 * (dist/services/gateway/src/dashboard): the build compiles TypeScript only, so the static files are always read
 * from the source folder, which is what makes an edited page need no rebuild.
 */
function repoRoot(): string {
  return here.includes(join('dist', 'services')) ? join(here, '../../../../..') : join(here, '../../../..');
}

export const DEFAULT_WEB_DIR = join(repoRoot(), 'services/gateway/web');
export const DEFAULT_EXAMPLE_JOB = join(repoRoot(), 'examples/heart-disease/job.json');

function asset(body: Buffer, contentType: string): DashboardAsset {
  return {
    body,
    contentType,
    etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
  };
}

/**
 * Reads the dashboard's files into memory. A missing folder gives an empty map (the API works without its
 * dashboard); a missing example gives a form without a prefilled spec.
 */
export function loadDashboardAssets(
  webDir: string = DEFAULT_WEB_DIR,
  exampleJob: string = DEFAULT_EXAMPLE_JOB,
): Map<string, DashboardAsset> {
  const assets = new Map<string, DashboardAsset>();
  if (!existsSync(webDir)) return assets;
  for (const entry of readdirSync(webDir, { withFileTypes: true })) {
    if (!entry.isFile() || !ASSET_NAME.test(entry.name) || NOT_SERVED.has(entry.name)) continue;
    assets.set(entry.name, asset(readFileSync(join(webDir, entry.name)), CONTENT_TYPES[extname(entry.name)]));
  }
  if (existsSync(exampleJob)) {
    assets.set(EXAMPLE_JOB_ASSET, asset(readFileSync(exampleJob), CONTENT_TYPES['.json']));
  }
  return assets;
}

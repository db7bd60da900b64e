#!/usr/bin/env node
// Entry point of the `cohort` command. Runs the compiled CLI, building it first when the sources are newer
// than the build, so a fresh clone works with `npm run demo` and no separate build step.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'dist/services/cli/src/main.js');
const stamp = join(root, 'dist/.built');

function newestSource(dir) {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.spec.ts'))
      newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

// A container image ships dist/ without the TypeScript sources (and without tsc): nothing to rebuild from there.
const hasSources = existsSync(join(root, 'tsconfig.build.json'));
const stale =
  hasSources &&
  (!existsSync(entry) ||
    !existsSync(stamp) ||
    Math.max(newestSource(join(root, 'libs')), newestSource(join(root, 'services'))) >
      statSync(stamp).mtimeMs);
if (stale) {
  process.stderr.write('cohort: building (sources changed since the last build)…\n');
  const r = spawnSync(
    process.execPath,
    [join(root, 'node_modules/.bin/tsc'), '-p', join(root, 'tsconfig.build.json')],
    {
      stdio: ['ignore', 'inherit', 'inherit'],
      cwd: root,
    },
  );
  const a =
    r.status === 0
      ? spawnSync(
          process.execPath,
          [join(root, 'node_modules/tsc-alias/dist/bin/index.js'), '-p', join(root, 'tsconfig.build.json')],
          { stdio: ['ignore', 'inherit', 'inherit'], cwd: root },
        )
      : r;
  if (a.status !== 0) {
    process.stderr.write('cohort: the build failed; see the errors above\n');
    process.exit(1);
  }
  writeFileSync(stamp, new Date().toISOString());
}
await import(pathToFileURL(entry).href);

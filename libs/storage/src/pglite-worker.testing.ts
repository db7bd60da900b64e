// Test support: the PGlite worker compiled from the current sources, so a spec under ts-jest (which runs the
// TypeScript directly, where no compiled worker exists) checks the worker the build will ship.
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const SOURCES = dirname(fileURLToPath(import.meta.url));
// Inside the checkout, so the compiled modules resolve node_modules and the package's "type": "module".
const REPO = join(SOURCES, '..', '..', '..');

/** Transpiles this library's sources into a scratch folder; returns the worker's URL and how to remove it. */
export async function compilePgliteWorker(): Promise<{ url: URL; remove: () => Promise<void> }> {
  const ts = (await import('typescript')).default;
  const out = join(REPO, '.cohort', `spec-pglite-worker-${process.pid}-${Date.now()}`);
  await mkdir(out, { recursive: true });
  for (const name of await readdir(SOURCES)) {
    if (!name.endsWith('.ts') || name.endsWith('.spec.ts') || name.endsWith('.d.ts')) continue;
    const { outputText } = ts.transpileModule(await readFile(join(SOURCES, name), 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
      fileName: name,
    });
    await writeFile(join(out, name.replace(/\.ts$/, '.js')), outputText);
  }
  return {
    url: pathToFileURL(join(out, 'pglite-worker.js')),
    remove: () => rm(out, { recursive: true, force: true }),
  };
}

// Writes the committed Kubernetes manifests (deploy/k8s/*.yaml) from manifests.ts and settings.ts:
//   npm run deploy:k8s            regenerate
//   npm run deploy:k8s -- --check fail when the committed YAML differs from a fresh generation
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { centralManifests, hospitalManifests, renderYaml } from './manifests.js';
import { CENTRAL, HOSPITAL } from './settings.js';

/** The YAML files under deploy/k8s, by name, as the settings make them today. */
export function renderManifestFiles(root: string): Map<string, string> {
  return new Map([
    ['central.yaml', renderYaml(centralManifests(CENTRAL))],
    ['hospital-silo.yaml', renderYaml(hospitalManifests(root, HOSPITAL))],
  ]);
}

/** The checkout's root: the nearest folder above this file with a package.json (sources or compiled). */
export function repositoryRoot(from = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'deploy'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no Cohort checkout above ${from}`);
  }
}

function main(): void {
  const root = repositoryRoot();
  const check = process.argv.includes('--check');
  const stale: string[] = [];
  for (const [name, text] of renderManifestFiles(root)) {
    const path = join(root, 'deploy/k8s', name);
    if (check) {
      if (!existsSync(path) || readFileSync(path, 'utf8') !== text) stale.push(`deploy/k8s/${name}`);
    } else {
      writeFileSync(path, text);
      process.stdout.write(`wrote deploy/k8s/${name}\n`);
    }
  }
  if (stale.length > 0) {
    process.stderr.write(`stale: ${stale.join(', ')} (run \`npm run deploy:k8s\`)\n`);
    process.exitCode = 1;
  } else if (check) {
    process.stdout.write('deploy/k8s is up to date\n');
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();

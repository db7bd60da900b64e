#!/usr/bin/env node
// Regenerates libs/protocol/src/generated from proto/ with ts-proto through buf (buf's compiler ships in its npm
// package, so no protoc download). `--check` regenerates into a temporary folder and fails when the committed
// code differs, as Flower's check-protos.sh does.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, cpSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const target = join(root, 'libs/protocol/src/generated');
const bin = join(root, 'node_modules/.bin');
const env = { ...process.env, PATH: `${bin}:${process.env.PATH}` };

function generate(out) {
  execFileSync(join(bin, 'buf'), ['lint'], { cwd: root, env, stdio: 'inherit' });
  execFileSync(join(bin, 'buf'), ['generate', '--output', out], { cwd: root, env, stdio: 'inherit' });
}

function listFiles(dir, prefix = '') {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listFiles(join(dir, e.name), join(prefix, e.name)) : [join(prefix, e.name)],
  );
}

const check = process.argv.includes('--check');
const scratch = mkdtempSync(join(tmpdir(), 'cohort-proto-'));
try {
  generate(scratch);
  const fresh = join(scratch, 'libs/protocol/src/generated');
  if (check) {
    const a = listFiles(fresh).sort();
    const b = listFiles(target).sort();
    const stale = [...new Set([...a, ...b])].filter(
      (f) =>
        !a.includes(f) ||
        !b.includes(f) ||
        !readFileSync(join(fresh, f)).equals(readFileSync(join(target, f))),
    );
    if (stale.length > 0) {
      console.error(
        `generated protocol code is stale (${stale.join(', ')}): run \`npm run proto\` and commit`,
      );
      process.exit(1);
    }
    console.log('generated protocol code is up to date');
  } else {
    rmSync(target, { recursive: true, force: true });
    cpSync(fresh, target, { recursive: true });
    console.log(`generated ${listFiles(target).length} files into libs/protocol/src/generated`);
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

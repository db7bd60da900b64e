import { cp, mkdtemp, readFile, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The checkout these tests run in. */
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * A runnable copy of the built checkout in a temporary folder: bin/, dist/, proto/, the migrations, the
 * package files, node_modules as a symlink, and the libs/ and services/ sources (bin/cohort.js compares their
 * age with dist/.built, which is then touched so the copy never rebuilds over a change made to its dist/).
 */
export async function copyBuiltCheckout(root = REPO_ROOT): Promise<string> {
  const copy = await mkdtemp(join(tmpdir(), 'cohort-checkout-'));
  const skip = (src: string): boolean => basename(src) !== 'node_modules';
  for (const entry of ['bin', 'dist', 'proto', 'libs', 'services']) {
    await cp(join(root, entry), join(copy, entry), { recursive: true, filter: skip });
  }
  for (const file of ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json']) {
    await cp(join(root, file), join(copy, file));
  }
  await symlink(join(root, 'node_modules'), join(copy, 'node_modules'), 'dir');
  const stamp = join(copy, 'dist/.built');
  await writeFile(stamp, new Date().toISOString());
  const future = new Date(Date.now() + 3_600_000);
  await utimes(stamp, future, future);
  return copy;
}

/** Changes one byte of a file: the first character of the first occurrence of `context` becomes `to`. */
export async function changeOneByte(file: string, context: string, to: string): Promise<void> {
  const text = await readFile(file, 'utf8');
  const at = text.indexOf(context);
  if (at < 0 || to.length !== 1 || Buffer.byteLength(context[0]) !== 1 || Buffer.byteLength(to) !== 1)
    throw new Error(`cannot change one byte of ${file} at ${JSON.stringify(context)}`);
  const bytes = Buffer.from(text);
  const offset = Buffer.byteLength(text.slice(0, at));
  if (bytes[offset] === to.charCodeAt(0)) throw new Error('the byte would not change');
  bytes[offset] = to.charCodeAt(0);
  await writeFile(file, bytes);
}

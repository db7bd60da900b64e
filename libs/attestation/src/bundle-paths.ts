import { isAbsolute, relative, resolve, sep } from 'node:path';
import { AttestationError } from './errors.js';

/**
 * The path of `file` relative to `rootDir`, with '/' separators on every platform, so the same bundle
 * measures the same on Linux, macOS and Windows. Paths that leave the root, or that `sha256sum` would
 * print escaped (a backslash or a newline in the name), are refused: the recipe in the README must give
 * the same bytes.
 */
export function bundleRelativePath(rootDir: string, file: string): string {
  const absolute = isAbsolute(file) ? file : resolve(rootDir, file);
  const rel = relative(resolve(rootDir), absolute);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) {
    throw new AttestationError(
      'MEASUREMENT_PATH_INVALID',
      `${file} is not a file inside the bundle root ${rootDir}`,
    );
  }
  const slashed = sep === '/' ? rel : rel.split(sep).join('/');
  if (/[\\\n\r]/.test(slashed)) {
    throw new AttestationError(
      'MEASUREMENT_PATH_INVALID',
      `${JSON.stringify(slashed)} contains a backslash or a line break, which sha256sum would escape; rename it`,
    );
  }
  return slashed;
}

/** Byte order of the UTF-8 names, the order `LC_ALL=C sort` gives, so an auditor's shell agrees with us. */
export function compareBundlePaths(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Sorted and without duplicates. */
export function sortBundlePaths(paths: Iterable<string>): string[] {
  return [...new Set(paths)].sort(compareBundlePaths);
}

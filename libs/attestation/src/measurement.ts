import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { bundleRelativePath, sortBundlePaths } from './bundle-paths.js';
import { AttestationError } from './errors.js';

export interface BundleFileDigest {
  /** Relative to the bundle root, '/'-separated. */
  path: string;
  /** Lower-case hex SHA-256 of the file's bytes. */
  sha256: string;
}

export interface BundleMeasurement {
  /** Lower-case hex SHA-256 over the manifest (see {@link bundleManifest}). */
  measurement: string;
  /** Sorted by path (UTF-8 byte order). */
  files: BundleFileDigest[];
}

// Enough files in flight to keep the disk busy without running into the process's open-file limit.
const CONCURRENT_READS = 16;

/**
 * Measures a code bundle reproducibly: every file is hashed, and the measurement is the SHA-256 of the
 * `sha256sum`-format manifest (`<hex>  <path>\n` per file, sorted by path), so an auditor can recompute it
 * with coreutils alone (recipe in the README). Changing one byte of one file changes the measurement.
 */
export async function measureBundle(rootDir: string, files: readonly string[]): Promise<BundleMeasurement> {
  const paths = sortBundlePaths(files.map((file) => bundleRelativePath(rootDir, file)));
  if (paths.length === 0) {
    throw new AttestationError('MEASUREMENT_EMPTY', `no files to measure under ${rootDir}`);
  }
  const digests: BundleFileDigest[] = new Array<BundleFileDigest>(paths.length);
  for (let start = 0; start < paths.length; start += CONCURRENT_READS) {
    const batch = paths.slice(start, start + CONCURRENT_READS);
    const hashed = await Promise.all(batch.map((path) => hashFile(rootDir, path)));
    hashed.forEach((digest, offset) => (digests[start + offset] = digest));
  }
  const measurement = createHash('sha256').update(bundleManifest(digests), 'utf8').digest('hex');
  return { measurement, files: digests };
}

/** The exact text whose SHA-256 is the measurement: what `sha256sum <files in order>` prints. */
export function bundleManifest(files: readonly BundleFileDigest[]): string {
  return files.map((file) => `${file.sha256}  ${file.path}\n`).join('');
}

async function hashFile(rootDir: string, path: string): Promise<BundleFileDigest> {
  let bytes: Buffer;
  try {
    bytes = await readFile(resolve(rootDir, path));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new AttestationError(
        'MEASUREMENT_FILE_MISSING',
        `bundle file ${path} is missing under ${rootDir}`,
        {
          cause: error,
        },
      );
    }
    throw new AttestationError(
      'MEASUREMENT_FILE_UNREADABLE',
      `bundle file ${path} under ${rootDir} cannot be read (${code ?? String(error)})`,
      { cause: error },
    );
  }
  return { path, sha256: createHash('sha256').update(bytes).digest('hex') };
}

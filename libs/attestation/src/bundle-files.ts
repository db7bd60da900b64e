import type { Dirent } from 'node:fs';
import { lstat, readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { bundleRelativePath, sortBundlePaths } from './bundle-paths.js';
import { AttestationError } from './errors.js';

export interface BundleFileSelection {
  /** Directories (walked recursively) or single files, relative to the root. A named file is always included. */
  include: readonly string[];
  /** File-name endings walked directories keep, e.g. ['.js', '.json']. Empty keeps every file. */
  extensions: readonly string[];
}

// Tests and source maps are not part of what runs, and maps change with build paths: measuring them would
// make the measurement depend on where the bundle was built.
const SKIPPED = [/\.spec\.[^/]*$/, /\.map$/];

/**
 * The reproducible list of files that make up a bundle: relative '/'-separated paths, sorted in UTF-8 byte
 * order, without duplicates. Symbolic links to directories are not followed (the walk must not depend on
 * what a link points at today); a linked file is measured by its content.
 */
export async function listBundleFiles(rootDir: string, selection: BundleFileSelection): Promise<string[]> {
  const extensions = selection.extensions.map((ext) => (ext.startsWith('.') ? ext : `.${ext}`));
  const found: string[] = [];
  for (const entry of selection.include) {
    const absolute = resolve(rootDir, entry);
    const relativePath = bundleRelativePath(rootDir, absolute);
    const stats = await lstat(absolute).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') {
        throw new AttestationError(
          'MEASUREMENT_FILE_MISSING',
          `bundle entry ${entry} is missing under ${rootDir}`,
          {
            cause: error,
          },
        );
      }
      throw new AttestationError('MEASUREMENT_FILE_UNREADABLE', `bundle entry ${entry} cannot be read`, {
        cause: error,
      });
    });
    if (stats.isDirectory()) {
      await walk(rootDir, absolute, extensions, found);
    } else {
      found.push(relativePath);
    }
  }
  return sortBundlePaths(found);
}

async function walk(
  rootDir: string,
  dir: string,
  extensions: readonly string[],
  found: string[],
): Promise<void> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    throw new AttestationError('MEASUREMENT_FILE_UNREADABLE', `bundle directory ${dir} cannot be listed`, {
      cause: error,
    });
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      await walk(rootDir, path, extensions, found);
    } else if ((entry.isFile() || entry.isSymbolicLink()) && keeps(entry.name, extensions)) {
      // A link to a directory, or a dangling link, is not a file that runs.
      if (entry.isSymbolicLink() && !(await isFileBehindLink(path))) continue;
      found.push(bundleRelativePath(rootDir, path));
    }
  }
}

function keeps(name: string, extensions: readonly string[]): boolean {
  if (SKIPPED.some((pattern) => pattern.test(name))) return false;
  return extensions.length === 0 || extensions.some((ext) => name.endsWith(ext));
}

async function isFileBehindLink(path: string): Promise<boolean> {
  const stats = await stat(path).catch(() => undefined);
  return stats?.isFile() ?? false;
}

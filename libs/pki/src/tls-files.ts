// A TLS identity on disk as `<name>.crt` (PEM, 0644) and `<name>.key` (PKCS#8 PEM, 0600) in one folder, the
// layout `cohort init` writes and the services read.
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { isErrno } from './errno.js';
import { PkiError } from './errors.js';
import { PRIVATE_FILE_MODE, PUBLIC_FILE_MODE, writeFileAtomic } from './secure-file.js';

export interface TlsFiles {
  readonly certPem: string;
  readonly keyPem: string;
}

export interface TlsFilePaths {
  readonly certPath: string;
  readonly keyPath: string;
}

/** The paths writeTlsFiles and readTlsFiles use for `name` in `dir`. */
export function tlsFilePaths(dir: string, name: string): TlsFilePaths {
  // A plain file stem: a name from configuration must not be able to point outside `dir`.
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name) || name.includes('..')) {
    throw new PkiError(
      'INVALID_ARGUMENT',
      `${JSON.stringify(name)} is not a usable TLS file name (letters, digits, . _ -)`,
    );
  }
  return { certPath: join(dir, `${name}.crt`), keyPath: join(dir, `${name}.key`) };
}

/** Writes (or atomically replaces) both files; the key is always left mode 0600. */
export async function writeTlsFiles(dir: string, name: string, files: TlsFiles): Promise<TlsFilePaths> {
  const paths = tlsFilePaths(dir, name);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // Key first: a certificate on disk without its key is harmless; the reverse would be used with a stale cert.
  await writeFileAtomic(paths.keyPath, files.keyPem, PRIVATE_FILE_MODE);
  await writeFileAtomic(paths.certPath, files.certPem, PUBLIC_FILE_MODE);
  return paths;
}

export async function readTlsFiles(dir: string, name: string): Promise<TlsFiles> {
  const paths = tlsFilePaths(dir, name);
  return { certPem: await readPem(paths.certPath), keyPem: await readPem(paths.keyPath) };
}

async function readPem(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (cause) {
    if (isErrno(cause, 'ENOENT')) {
      throw new PkiError(
        'TLS_FILES_NOT_FOUND',
        `${path} does not exist; create TLS files with \`cohort init\``,
        {
          cause,
        },
      );
    }
    throw cause;
  }
}

// Files only their owner may read: the CLI's saved token and the development issuer's key. Same rules as the
// silo's identity key (@cohort/identity): created 0600 in a folder created 0700, written completely or not at
// all, and refused when group or others have any access, since whoever reads them acts as their owner.
import { randomBytes } from 'node:crypto';
import { link, mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { AuthError } from './auth-error.js';
import { errorCodeOf, messageOf } from './error-details.js';

// Tokens and PEM keys are a few kilobytes; a far larger file is not one and is not read into memory.
const MAX_PRIVATE_FILE_BYTES = 64 * 1024;

/**
 * The text of `file`, or undefined when it does not exist. `FILE_INSECURE` when group or others may access it
 * (`fix` says what to do), `FILE_IO` when it cannot be read or is not a small regular file.
 */
export async function readPrivateFile(file: string, what: string, fix: string): Promise<string | undefined> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (cause) {
    if (errorCodeOf(cause) === 'ENOENT') return undefined;
    throw new AuthError('FILE_IO', `cannot open ${what} ${file}: ${messageOf(cause)}`, { cause });
  }
  try {
    // fstat on the open descriptor, so the mode checked is the mode of the file actually read.
    const stat = await handle.stat();
    if (!stat.isFile()) throw new AuthError('FILE_IO', `${what} ${file} is not a regular file`);
    // Windows has no POSIX mode bits (Node reports 0666 for every file); its ACLs are the user's to set.
    if (process.platform !== 'win32' && (stat.mode & 0o077) !== 0) {
      const mode = (stat.mode & 0o777).toString(8).padStart(4, '0');
      throw new AuthError(
        'FILE_INSECURE',
        `${what} ${file} has mode ${mode}: other users of this machine may read it and act as you. ${fix}`,
      );
    }
    if (stat.size > MAX_PRIVATE_FILE_BYTES) {
      throw new AuthError('FILE_IO', `${what} ${file} is ${stat.size} bytes, too large to be one`);
    }
    return await handle.readFile({ encoding: 'utf8' });
  } catch (cause) {
    if (cause instanceof AuthError) throw cause;
    throw new AuthError('FILE_IO', `cannot read ${what} ${file}: ${messageOf(cause)}`, { cause });
  } finally {
    await handle.close();
  }
}

/**
 * Writes `contents` to `file` with mode 0600, replacing any previous file (its old mode included) in one
 * rename, so a reader never sees half a file. The folder is created 0700 when missing; an existing folder is
 * left as it is (it may be the user's home).
 */
export async function replacePrivateFile(file: string, contents: string, what: string): Promise<void> {
  const temporary = temporaryNameFor(file);
  try {
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    await writeNew(temporary, contents);
    await rename(temporary, file);
  } catch (cause) {
    await rm(temporary, { force: true });
    throw new AuthError('FILE_IO', `cannot write ${what} ${file}: ${messageOf(cause)}`, { cause });
  }
}

/**
 * Writes `contents` to `file` (0600) only if no such file exists yet; returns false when one does. A private
 * temporary file is hard-linked into place, so when two processes create at once, one wins and neither
 * overwrites the other's key.
 */
export async function createPrivateFile(file: string, contents: string, what: string): Promise<boolean> {
  const temporary = temporaryNameFor(file);
  try {
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    await writeNew(temporary, contents);
    try {
      await link(temporary, file);
    } catch (cause) {
      const code = errorCodeOf(cause);
      if (code === 'EEXIST') return false;
      // Some mounted file systems have no hard links; an exclusive create still never overwrites.
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS' && code !== 'EOPNOTSUPP') throw cause;
      await writeNew(file, contents);
    }
    return true;
  } catch (cause) {
    if (errorCodeOf(cause) === 'EEXIST') return false;
    throw new AuthError('FILE_IO', `cannot create ${what} ${file}: ${messageOf(cause)}`, { cause });
  } finally {
    await rm(temporary, { force: true });
  }
}

function temporaryNameFor(file: string): string {
  return join(dirname(file), `.${basename(file)}.${randomBytes(8).toString('hex')}.tmp`);
}

async function writeNew(path: string, contents: string): Promise<void> {
  const handle = await open(path, 'wx', 0o600);
  try {
    // The create mode is filtered by the umask; chmod states the intended mode whatever the umask is.
    await handle.chmod(0o600);
    await handle.writeFile(contents, { encoding: 'utf8' });
    await handle.sync();
  } finally {
    await handle.close();
  }
}

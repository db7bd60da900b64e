// PGlite is one PostgreSQL backend inside this process: a second process (or a second PGlite in this one)
// on the same folder would corrupt it, so the folder carries a lock file naming its owner's pid.
import { readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { StorageError } from './errors.js';

export const LOCK_FILE_NAME = 'cohort.lock';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else; it still owns the folder.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function tryCreate(path: string): Promise<boolean> {
  try {
    await writeFile(path, `${process.pid}\n`, { flag: 'wx' });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

/** Takes the folder's lock, replacing one left by a process that has died; returns the release function. */
export async function acquireDataDirLock(dir: string): Promise<() => Promise<void>> {
  const path = join(dir, LOCK_FILE_NAME);
  for (let attempt = 0; attempt < 2; attempt++) {
    if (await tryCreate(path)) {
      return async () => {
        await unlink(path).catch(() => undefined);
      };
    }
    const owner = Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10);
    if (Number.isInteger(owner) && owner > 0 && isAlive(owner)) {
      const who = owner === process.pid ? 'this process (opened twice)' : `process ${owner}`;
      throw new StorageError(
        'DATABASE_LOCKED',
        `the embedded database in ${dir} is in use by ${who}; stop it first, or set DATABASE_URL so several ` +
          `processes share one PostgreSQL server (if no such process exists, delete ${path})`,
      );
    }
    // The owner died without cleaning up; take over and try once more (another starter may win the race).
    await unlink(path).catch(() => undefined);
  }
  throw new StorageError('DATABASE_LOCKED', `another process took the lock ${path} at the same time`);
}

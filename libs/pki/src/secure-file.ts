// Writes key and certificate files atomically with an exact mode. Writing in place would keep the mode of an
// existing file (a key rotated over a 0644 file would stay world-readable) and could leave a half-written key.
import { randomBytes } from 'node:crypto';
import { chmod, rename, rm, writeFile } from 'node:fs/promises';

export const PRIVATE_FILE_MODE = 0o600;
export const PUBLIC_FILE_MODE = 0o644;

export async function writeFileAtomic(path: string, contents: string, mode: number): Promise<void> {
  const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(temporary, contents, { mode, flag: 'wx' });
    // The creation mode is filtered by the umask; set it exactly.
    await chmod(temporary, mode);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/** Creates the file only if it does not exist yet (for material that must never be silently replaced). */
export async function writeNewFile(path: string, contents: string, mode: number): Promise<void> {
  await writeFile(path, contents, { mode, flag: 'wx' });
  await chmod(path, mode);
}

import { spawnSync } from 'node:child_process';
import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOCK_FILE_NAME } from './data-dir-lock.js';
import { openDatabase } from './database.js';

describe('PGlite in a folder', () => {
  let root: string;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'cohort-pglite-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('creates the folder, keeps data across a reopen, and locks the folder while open', async () => {
    const dir = join(root, 'nested', 'state');
    const first = await openDatabase({ dataDir: dir });
    expect(first.kind).toBe('pglite');
    expect(first.description).toBe(`PGlite in ${dir}`);
    await first.query("CREATE TABLE kept (v text); INSERT INTO kept VALUES ('survives')");
    expect(await readFile(join(dir, LOCK_FILE_NAME), 'utf8')).toBe(`${process.pid}\n`);

    // A second PGlite on the same folder would corrupt it, so it is refused before it starts.
    const refused: unknown = await openDatabase({ dataDir: dir }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'DATABASE_LOCKED' });
    expect((refused as Error).message).toContain('in use by this process (opened twice)');

    await first.close();
    await expect(access(join(dir, LOCK_FILE_NAME))).rejects.toThrow();

    // A lock left by a process that died is taken over. The pid is a child that has already exited.
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    await writeFile(join(dir, LOCK_FILE_NAME), `${dead}\n`);
    const second = await openDatabase({ dataDir: dir });
    try {
      expect(await second.query('SELECT v FROM kept')).toEqual([{ v: 'survives' }]);
    } finally {
      await second.close();
    }
  });
});

import { spawnSync } from 'node:child_process';
import { access, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOCK_FILE_NAME } from './data-dir-lock.js';
import { openDatabase } from './database.js';
import { openPgliteDatabase } from './pglite-database.js';
import { compilePgliteWorker } from './pglite-worker.testing.js';

const worker = await compilePgliteWorker();
afterAll(() => worker.remove());
const threads = [
  { thread: 'on the calling thread', open: (dir: string) => openDatabase({ dataDir: dir }) },
  { thread: 'on a worker thread', open: (dir: string) => openPgliteDatabase(dir, worker.url) },
];

describe.each(threads)('PGlite in a folder, $thread', ({ open }) => {
  let root: string;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'cohort-pglite-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('creates the folder, keeps data across a reopen, and locks the folder while open', async () => {
    const dir = join(root, 'nested', 'state');
    const first = await open(dir);
    expect(first.kind).toBe('pglite');
    expect(first.description).toBe(`PGlite in ${dir}`);
    await first.query("CREATE TABLE kept (v text); INSERT INTO kept VALUES ('survives')");
    expect(await readFile(join(dir, LOCK_FILE_NAME), 'utf8')).toBe(`${process.pid}\n`);

    // A second PGlite on the same folder would corrupt it, so it is refused before it starts.
    const refused: unknown = await open(dir).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'DATABASE_LOCKED' });
    expect((refused as Error).message).toContain('in use by this process (opened twice)');

    await first.close();
    await expect(access(join(dir, LOCK_FILE_NAME))).rejects.toThrow();

    // A lock left by a process that died is taken over. The pid is a child that has already exited.
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    await writeFile(join(dir, LOCK_FILE_NAME), `${dead}\n`);
    const second = await open(dir);
    try {
      expect(await second.query('SELECT v FROM kept')).toEqual([{ v: 'survives' }]);
    } finally {
      await second.close();
    }
  });

  it('says which folder it could not open, and leaves no lock behind', async () => {
    // A file where the database's folder should be: PGlite cannot start in it.
    const dir = join(root, 'not-a-database');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'PG_VERSION'), 'garbage\n');
    await writeFile(join(dir, 'base'), 'a file, not a folder');
    const err = await open(dir).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'CONNECTION_FAILED' });
    expect((err as Error).message).toContain(`cannot open the embedded database in ${dir}`);
    await expect(access(join(dir, LOCK_FILE_NAME))).rejects.toThrow();
  });
});

import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listBundleFiles } from './bundle-files.js';

describe('listBundleFiles', () => {
  let root: string;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'cohort-bundle-'));
    for (const dir of ['svc/enclave/inner', 'libs/a/src', 'outside'])
      await mkdir(join(root, dir), { recursive: true });
    const files: Record<string, string> = {
      'svc/enclave/main.ts': 'main',
      'svc/enclave/main.spec.ts': 'test',
      'svc/enclave/main.js.map': 'map',
      'svc/enclave/notes.md': 'notes',
      'svc/enclave/inner/z.ts': 'z',
      'svc/enclave/inner/B.ts': 'B',
      'libs/a/src/index.ts': 'a',
      'outside/x.ts': 'x',
      'package-lock.json': '{}',
    };
    for (const [path, text] of Object.entries(files)) await writeFile(join(root, path), text);
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('walks directories, keeps the extensions, skips tests and maps, sorts by bytes', async () => {
    const files = await listBundleFiles(root, {
      include: ['svc/enclave', 'libs/a/src'],
      extensions: ['.ts'],
    });
    expect(files).toEqual([
      'libs/a/src/index.ts',
      'svc/enclave/inner/B.ts', // upper case sorts before lower case in byte order
      'svc/enclave/inner/z.ts',
      'svc/enclave/main.ts',
    ]);
  });

  it('includes a named file whatever its extension, and accepts extensions without a dot', async () => {
    const files = await listBundleFiles(root, {
      include: ['package-lock.json', 'libs/a/src'],
      extensions: ['ts'],
    });
    expect(files).toEqual(['libs/a/src/index.ts', 'package-lock.json']);
  });

  it('keeps every file (but tests and maps) when no extension is given', async () => {
    const files = await listBundleFiles(root, { include: ['svc/enclave'], extensions: [] });
    expect(files).toContain('svc/enclave/notes.md');
    expect(files).not.toContain('svc/enclave/main.spec.ts');
    expect(files).not.toContain('svc/enclave/main.js.map');
  });

  it('does not list a directory twice when includes overlap', async () => {
    const files = await listBundleFiles(root, {
      include: ['svc/enclave', 'svc/enclave/inner'],
      extensions: ['.ts'],
    });
    expect(files.filter((f) => f === 'svc/enclave/inner/z.ts')).toHaveLength(1);
  });

  it('does not follow a symbolic link to a directory', async () => {
    await symlink(join(root, 'outside'), join(root, 'svc/enclave/linked'));
    const files = await listBundleFiles(root, { include: ['svc/enclave'], extensions: ['.ts'] });
    expect(files.some((f) => f.includes('linked'))).toBe(false);
  });

  it('refuses a missing include with MEASUREMENT_FILE_MISSING', async () => {
    await expect(listBundleFiles(root, { include: ['svc/gone'], extensions: ['.ts'] })).rejects.toMatchObject(
      {
        code: 'MEASUREMENT_FILE_MISSING',
      },
    );
  });
});

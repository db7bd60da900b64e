import { chmod, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { PkiError } from './errors.js';
import { readTlsFiles, tlsFilePaths, writeTlsFiles } from './tls-files.js';

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  return p.then(
    () => undefined,
    (e: unknown) => (e instanceof PkiError ? e.code : String(e)),
  );
}

describe('TLS files', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'cohort-tls-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('writes <name>.crt and a 0600 <name>.key, and reads them back', async () => {
    const dir = join(root, 'tls');
    const paths = await writeTlsFiles(dir, 'aggregator', { certPem: 'CERT\n', keyPem: 'KEY\n' });
    expect(paths).toEqual({ certPath: join(dir, 'aggregator.crt'), keyPath: join(dir, 'aggregator.key') });
    expect((await stat(paths.keyPath)).mode & 0o777).toBe(0o600);
    expect(await readTlsFiles(dir, 'aggregator')).toEqual({ certPem: 'CERT\n', keyPem: 'KEY\n' });
    expect((await readdir(dir)).sort()).toEqual(['aggregator.crt', 'aggregator.key']);
  });

  it('replaces a world-readable key file with a 0600 one', async () => {
    const { keyPath } = tlsFilePaths(root, 'silo');
    await writeFile(keyPath, 'OLD');
    await chmod(keyPath, 0o644);
    await writeTlsFiles(root, 'silo', { certPem: 'CERT', keyPem: 'NEW' });
    expect((await stat(keyPath)).mode & 0o777).toBe(0o600);
    expect((await readTlsFiles(root, 'silo')).keyPem).toBe('NEW');
  });

  it('reports missing files → TLS_FILES_NOT_FOUND', async () => {
    expect(await codeOf(readTlsFiles(root, 'absent'))).toBe('TLS_FILES_NOT_FOUND');
  });

  it.each(['../escape', 'a/b', '', '.hidden', 'a..b'])(
    'refuses the name %p → INVALID_ARGUMENT',
    async (name) => {
      expect(await codeOf(writeTlsFiles(root, name, { certPem: 'c', keyPem: 'k' }))).toBe('INVALID_ARGUMENT');
    },
  );
});

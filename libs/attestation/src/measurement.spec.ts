import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AttestationError } from './errors.js';
import { bundleManifest, measureBundle } from './measurement.js';

const sha256 = (text: string | Buffer): string => createHash('sha256').update(text).digest('hex');

describe('measureBundle', () => {
  let root: string;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'cohort-measure-'));
    await mkdir(join(root, 'src', 'lib'), { recursive: true });
    await writeFile(join(root, 'src', 'main.js'), 'console.log("enclave");\n');
    await writeFile(join(root, 'src', 'lib', 'b.js'), 'export const b = 2;\n');
    await writeFile(join(root, 'package-lock.json'), '{"lockfileVersion":3}\n');
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('hashes each file and the sha256sum-format manifest of the sorted paths', async () => {
    const result = await measureBundle(root, ['src/main.js', 'package-lock.json', 'src/lib/b.js']);
    expect(result.files.map((f) => f.path)).toEqual(['package-lock.json', 'src/lib/b.js', 'src/main.js']);
    expect(result.files[2].sha256).toBe(sha256('console.log("enclave");\n'));
    const manifest =
      `${sha256('{"lockfileVersion":3}\n')}  package-lock.json\n` +
      `${sha256('export const b = 2;\n')}  src/lib/b.js\n` +
      `${sha256('console.log("enclave");\n')}  src/main.js\n`;
    expect(bundleManifest(result.files)).toBe(manifest);
    expect(result.measurement).toBe(sha256(manifest));
  });

  it('does not depend on the order, duplicates or absolute form of the list', async () => {
    const a = await measureBundle(root, ['src/main.js', 'src/lib/b.js']);
    const b = await measureBundle(root, [join(root, 'src/lib/b.js'), 'src/main.js', 'src/main.js']);
    expect(b.measurement).toBe(a.measurement);
  });

  it('changes when one byte of one file changes', async () => {
    const before = await measureBundle(root, ['src/main.js', 'src/lib/b.js']);
    await writeFile(join(root, 'src', 'lib', 'b.js'), 'export const b = 3;\n');
    const after = await measureBundle(root, ['src/main.js', 'src/lib/b.js']);
    expect(after.measurement).not.toBe(before.measurement);
  });

  it('changes when a file is added to the list', async () => {
    const before = await measureBundle(root, ['src/main.js']);
    const after = await measureBundle(root, ['src/main.js', 'src/lib/b.js']);
    expect(after.measurement).not.toBe(before.measurement);
  });

  it('refuses a missing file with MEASUREMENT_FILE_MISSING naming it', async () => {
    const error = await measureBundle(root, ['src/main.js', 'src/gone.js']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AttestationError);
    expect(error).toMatchObject({ code: 'MEASUREMENT_FILE_MISSING' });
    expect((error as Error).message).toContain('src/gone.js');
  });

  it('refuses a directory in the list as unreadable', async () => {
    await expect(measureBundle(root, ['src/lib'])).rejects.toMatchObject({
      code: 'MEASUREMENT_FILE_UNREADABLE',
    });
  });

  it('refuses paths outside the root and names sha256sum would escape', async () => {
    await expect(measureBundle(root, ['../etc/passwd'])).rejects.toMatchObject({
      code: 'MEASUREMENT_PATH_INVALID',
    });
    await expect(measureBundle(root, ['src/a\\b.js'])).rejects.toMatchObject({
      code: 'MEASUREMENT_PATH_INVALID',
    });
  });

  it('refuses an empty list', async () => {
    await expect(measureBundle(root, [])).rejects.toMatchObject({ code: 'MEASUREMENT_EMPTY' });
  });

  // The README's recipe for auditors, run with coreutils.
  const withCoreutils = existsSync('/usr/bin/sha256sum') || existsSync('/bin/sha256sum') ? it : it.skip;
  withCoreutils('agrees with `sha256sum <sorted files> | sha256sum`', async () => {
    const files = ['src/main.js', 'package-lock.json', 'src/lib/b.js'];
    const { measurement } = await measureBundle(root, files);
    const sorted = execFileSync('sort', [], {
      input: files.join('\n') + '\n',
      env: { ...process.env, LC_ALL: 'C' },
    })
      .toString()
      .trim()
      .split('\n');
    const manifest = execFileSync('sha256sum', ['--', ...sorted], { cwd: root });
    const shell = execFileSync('sha256sum', [], { input: manifest }).toString().split(' ')[0];
    expect(shell).toBe(measurement);
  });
});

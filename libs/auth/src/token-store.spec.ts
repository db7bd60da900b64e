import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuthError, type AuthErrorCode } from './auth-error.js';
import { DevIssuer } from './dev-issuer.js';
import { decodeUnverified, loadToken, saveToken } from './token-store.js';

const posix = process.platform !== 'win32';

async function codeOf(promise: Promise<unknown>): Promise<AuthErrorCode | undefined> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AuthError) return error.code;
    throw error;
  }
  return undefined;
}

describe('saveToken and loadToken', () => {
  let root: string;
  let dev: DevIssuer;

  beforeAll(async () => {
    dev = await DevIssuer.create();
  });

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'cohort-token-'));
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const mint = (subject = 'alice') => dev.mint({ subject, roles: ['researcher'], audience: 'gw' });

  it('saves the token 0600 in a new folder 0700 and loads it back', async () => {
    const file = join(root, 'cohort', 'token');
    const token = await mint();

    await saveToken(file, token);

    expect(await loadToken(file)).toBe(token);
    expect(await readdir(join(root, 'cohort'))).toEqual(['token']);
    if (posix) {
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      expect((await stat(join(root, 'cohort'))).mode & 0o777).toBe(0o700);
    }
  });

  it('replaces an earlier token, and a world-readable earlier file with a private one', async () => {
    const file = join(root, 'token');
    await writeFile(file, 'old', { mode: 0o644 });
    await chmod(file, 0o644);
    const token = await mint('bob');

    await saveToken(file, `Bearer ${token}`);

    expect(await loadToken(file)).toBe(token);
    if (posix) expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it('leaves an existing folder’s mode alone', async () => {
    const dir = join(root, 'home');
    await mkdir(dir, { mode: 0o755 });
    await chmod(dir, 0o755);

    await saveToken(join(dir, 'token'), await mint());

    if (posix) expect((await stat(dir)).mode & 0o777).toBe(0o755);
  });

  it('loads nothing when no one has logged in', async () => {
    expect(await loadToken(join(root, 'absent', 'token'))).toBeUndefined();
  });

  (posix ? it : it.skip)(
    'refuses a token file others may read (FILE_INSECURE), saying what to do',
    async () => {
      const file = join(root, 'token');
      await saveToken(file, await mint());
      await chmod(file, 0o644);

      let error: unknown;
      try {
        await loadToken(file);
      } catch (caught) {
        error = caught;
      }

      expect((error as AuthError).code).toBe('FILE_INSECURE');
      expect((error as AuthError).message).toContain(file);
      expect((error as AuthError).message).toContain('0644');
      expect((error as AuthError).message).toContain('cohort login');
      await chmod(file, 0o640);
      expect(await codeOf(loadToken(file))).toBe('FILE_INSECURE');
    },
  );

  it('refuses to save something that is not a JWT, and to load a file that holds none', async () => {
    const file = join(root, 'token');

    expect(await codeOf(saveToken(file, 'hunter2'))).toBe('TOKEN_MALFORMED');
    expect(await codeOf(saveToken(file, ''))).toBe('TOKEN_MISSING');
    expect(await readdir(root)).toEqual([]);

    await writeFile(file, 'not a token\n', { mode: 0o600 });
    expect(await codeOf(loadToken(file))).toBe('TOKEN_MALFORMED');
  });

  it('writes the token alone on one line', async () => {
    const file = join(root, 'token');
    const token = await mint();

    await saveToken(file, token);

    expect(await readFile(file, 'utf8')).toBe(`${token}\n`);
  });
});

describe('decodeUnverified', () => {
  it('reads subject, name, roles, audience and expiry for display', async () => {
    const dev = await DevIssuer.create({ issuer: 'http://127.0.0.1:8080/dev-issuer' });
    const expiresAt = new Date(Math.floor(Date.now() / 1000 + 3600) * 1000);
    const token = await dev.mint({
      subject: 'u-1',
      name: 'alice',
      roles: ['researcher', 'nurse'],
      audience: ['gw', 'cli'],
      expiresAt,
    });

    expect(decodeUnverified(`Bearer ${token}`)).toEqual({
      subject: 'u-1',
      name: 'alice',
      roles: ['researcher'],
      otherRoles: ['nurse'],
      issuer: 'http://127.0.0.1:8080/dev-issuer',
      audience: ['gw', 'cli'],
      expiresAt,
      expired: false,
      development: true,
      keyId: dev.kid,
      algorithm: 'EdDSA',
    });
  });

  it('says whether the token has expired, and reads roles at the configured claim', async () => {
    const dev = await DevIssuer.create({ roleClaim: 'realm_access.roles' });
    const token = await dev.mint({
      subject: 'u-1',
      roles: ['admin'],
      audience: 'gw',
      expiresAt: new Date(Date.now() - 1000),
    });

    const summary = decodeUnverified(token, { roleClaim: 'realm_access.roles' });

    expect(summary.expired).toBe(true);
    expect(summary.roles).toEqual(['admin']);
    expect(summary.name).toBe('u-1');
    expect(decodeUnverified(token).roles).toEqual([]);
  });

  it('decodes a token whose signature is wrong: nothing here is verified', async () => {
    const token = await (await DevIssuer.create()).mint({ subject: 'u-1', roles: ['admin'], audience: 'gw' });
    const [header, payload] = token.split('.');

    expect(decodeUnverified(`${header}.${payload}.AAAA`).roles).toEqual(['admin']);
  });

  it('TOKEN_MALFORMED for what is not a JWT', () => {
    expect(() => decodeUnverified('abc.def.ghi')).toThrow(
      expect.objectContaining({ code: 'TOKEN_MALFORMED' }),
    );
    expect(() => decodeUnverified('nonsense')).toThrow(expect.objectContaining({ code: 'TOKEN_MALFORMED' }));
  });
});

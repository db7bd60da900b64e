import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigurationError } from '@cohort/config';
import { SiloConfig } from './config.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const example: unknown = JSON.parse(
  readFileSync(join(root, 'examples/heart-disease/silo-cleveland.json'), 'utf8'),
);
const baseDir = join(root, 'examples/heart-disease');
const load = (overrides: Parameters<typeof SiloConfig.fromObject>[2]): SiloConfig =>
  SiloConfig.fromObject(example, baseDir, { aggregatorUrl: 'aggregator:50051', ...overrides });

describe('SiloConfig join token', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cohort-join-'));

  it('reads the token from --join-token-file, without the surrounding whitespace a Secret may carry', () => {
    const file = join(dir, 'token');
    writeFileSync(file, '  abc.def-ghi\n');
    expect(load({ joinTokenFile: file }).joinToken).toBe('abc.def-ghi');
  });

  it('treats an absent file as no token, so an enrolled silo starts after its Secret is removed', () => {
    expect(load({ joinTokenFile: join(dir, 'gone') }).joinToken).toBeUndefined();
  });

  it('refuses an empty file and a token given twice, naming the file', () => {
    const empty = join(dir, 'empty');
    writeFileSync(empty, '\n');
    expect(() => load({ joinTokenFile: empty })).toThrow(
      new ConfigurationError(`the join token file ${empty} is empty`),
    );
    expect(() => load({ joinTokenFile: empty, joinToken: 'x' })).toThrow(/--join-token or --join-token-file/);
  });

  it('refuses a path that is not a readable file', () => {
    expect(() => load({ joinTokenFile: dir })).toThrow(new RegExp(`cannot read the join token file ${dir}`));
  });

  it('keeps --join-token as given', () => {
    expect(load({ joinToken: 'tok' }).joinToken).toBe('tok');
  });
});

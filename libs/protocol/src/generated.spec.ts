import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');

describe('generated protocol code', () => {
  it('matches what ts-proto generates from proto/ today (run `npm run proto` after editing a .proto)', () => {
    const out = execFileSync(process.execPath, [join(root, 'scripts/proto.mjs'), '--check'], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    expect(out).toContain('up to date');
  }, 60_000);
});

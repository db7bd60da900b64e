// The README's description of the format, checked by a verifier written from it alone in another language.
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AuditLog } from './audit-log.js';
import { exportJsonLines } from './export.js';
import { MemoryAuditStore } from './memory-store.js';
import { auditKey } from './testing/logs.js';

const script = fileURLToPath(new URL('./testing/independent_verify.py', import.meta.url));
const python = spawnSync('python3', ['-c', 'import cryptography'], { encoding: 'utf8' });
const available = python.status === 0;
const publicKeyHex = Buffer.from(auditKey.publicKey.export({ format: 'jwk' }).x!, 'base64url').toString(
  'hex',
);

(available ? describe : describe.skip)(
  'an independent Python verifier (needs python3 with cryptography)',
  () => {
    let dir: string;
    let lines: string[];

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'cohort-audit-py-'));
      const store = new MemoryAuditStore();
      const log = new AuditLog({ store, signingKey: auditKey.privateKey });
      for (let i = 0; i < 37; i++) {
        await log.append({
          actor: i % 3 === 0 ? 'silo:cleveland' : 'aggregator',
          action: i % 3 === 0 ? 'update.sent' : 'update.accepted',
          subject: 'job:6f1c2a0e-0000-4000-8000-000000000001',
          details: {
            round: i,
            siloId: 'cleveland',
            epsilon: 0.42,
            note: 'é “quoted” \\ ok',
            nested: { ok: true, none: null },
          },
        });
        if (i % 10 === 9) await log.checkpoint();
      }
      await log.close();
      lines = [];
      for await (const line of exportJsonLines(store)) lines.push(line);
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    async function runPython(
      text: string,
    ): Promise<{ ok: boolean; entries: number; checkpoints: number; fault?: { code: string; seq: number } }> {
      const path = join(dir, `export-${Math.random().toString(16).slice(2)}.jsonl`);
      await writeFile(path, text);
      const run = spawnSync('python3', [script, path, publicKeyHex], { encoding: 'utf8' });
      if (run.status !== 0) throw new Error(run.stderr);
      return JSON.parse(run.stdout) as { ok: boolean; entries: number; checkpoints: number };
    }

    it('verifies what this library exports', async () => {
      expect(await runPython(lines.join(''))).toEqual({ ok: true, entries: 37, checkpoints: 4 });
    });

    it('finds the same tampering this library finds', async () => {
      const changed = [...lines];
      changed[12] = changed[12].replace('"round":11', '"round":12');
      expect(await runPython(changed.join(''))).toMatchObject({
        ok: false,
        fault: { code: 'HASH_MISMATCH', seq: 12 },
      });
      const forged = [...lines];
      const cp = forged.findIndex((l) => l.includes('"type":"checkpoint"'));
      forged[cp] = forged[cp].replace(
        /"merkleRoot":"[0-9a-f]/,
        (m) => m.slice(0, -1) + (m.endsWith('0') ? '1' : '0'),
      );
      expect(await runPython(forged.join(''))).toMatchObject({
        ok: false,
        fault: { code: 'CHECKPOINT_SIGNATURE', seq: 1 },
      });
    });
  },
);

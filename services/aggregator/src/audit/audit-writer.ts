import { AuditLog, type AuditStore } from '@cohort/audit';
import { loadOrCreateIdentityKey } from '@cohort/identity';
import type { KeyObject } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';

/** The checkpoint key's public half, written beside the private key at every start. */
export const AUDIT_PUBLIC_KEY_FILE = 'public.pem';

export interface AggregatorAuditLog {
  /** Group-committed appends, checkpoints signed with the audit key, one at least every minute. */
  readonly log: AuditLog;
  /** Verifies this aggregator's checkpoints. */
  readonly publicKey: KeyObject;
}

/** Opens the aggregator's audit log over the store, with the checkpoint key from keyDir (created on first use). */
export async function openAggregatorAuditLog(
  store: AuditStore,
  keyDir: string,
  log: Logger,
): Promise<AggregatorAuditLog> {
  const key = await loadOrCreateIdentityKey(keyDir);
  // What compliance staff pin to verify checkpoints offline (`cohort audit verify --key`); public, so 0644.
  await writeFile(
    join(keyDir, AUDIT_PUBLIC_KEY_FILE),
    key.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    { mode: 0o644 },
  );
  const audit = new AuditLog({
    store,
    signingKey: key.privateKey,
    onError: (err) => log.error({ err }, 'audit checkpoint failed'),
  });
  audit.startCheckpointTimer();
  log.info({ signer: key.fingerprint, keyDir }, 'audit checkpoints are signed with this key');
  return { log: audit, publicKey: key.publicKey };
}

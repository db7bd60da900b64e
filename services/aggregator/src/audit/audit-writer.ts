import { createCheckpointSigner, prepareDraft, type AuditCheckpoint, type AuditStore } from '@cohort/audit';
import { loadOrCreateIdentityKey } from '@cohort/identity';
import type { KeyObject } from 'node:crypto';
import type { Logger } from 'pino';
import type { AuditWriter } from './audit-trail.service.js';

/** At least this often a checkpoint is signed, besides the one at every round end. */
export const CHECKPOINT_INTERVAL_MS = 60_000;

export interface AggregatorAuditWriter extends AuditWriter {
  readonly publicKey: KeyObject;
  checkpoint(): Promise<AuditCheckpoint | null>;
  /** Stops the timer and signs a last checkpoint over whatever is left. */
  close(): Promise<void>;
}

/** The aggregator's writer: entries into the store, checkpoints signed with the audit key, a minute timer. */
export async function openAuditWriter(
  store: AuditStore,
  keyDir: string,
  log: Logger,
): Promise<AggregatorAuditWriter> {
  const key = await loadOrCreateIdentityKey(keyDir);
  const signer = createCheckpointSigner(key.privateKey);
  const checkpoint = () => store.checkpoint(signer, new Date().toISOString());
  const timer = setInterval(() => {
    checkpoint().catch((err: unknown) => log.error({ err }, 'audit checkpoint failed'));
  }, CHECKPOINT_INTERVAL_MS);
  timer.unref();
  log.info({ signer: signer.kid, keyDir }, 'audit checkpoints are signed with this key');
  return {
    publicKey: key.publicKey,
    append: async (input) => (await store.append([prepareDraft(input)]))[0],
    checkpoint,
    close: async () => {
      clearInterval(timer);
      await checkpoint();
    },
  };
}

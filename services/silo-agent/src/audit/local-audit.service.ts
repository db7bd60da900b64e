import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { join } from 'node:path';
import { AuditLog, FileAuditStore, type AuditAction } from '@cohort/audit';
import type { SiloIdentity } from '@cohort/identity';
import type { Logger } from 'pino';
import { SiloConfig } from '../config.js';
import { SILO_IDENTITY } from '../identity.provider.js';
import { LOGGER } from '../logger.provider.js';

/** The silo's own log, in its state folder: one JSON Lines file in the aggregator's entry format. */
export const LOCAL_AUDIT_FILE = 'audit.jsonl';

/**
 * What left this hospital, and why: the silo's own hash-chained audit log, checkpoints signed with its identity
 * key, so the hospital can hold the aggregator's export against its own record (`cohort audit cross-check`).
 */
@Injectable()
export class LocalAudit implements OnApplicationShutdown {
  private opened: Promise<{ store: FileAuditStore; log: AuditLog }> | undefined;

  constructor(
    private readonly config: SiloConfig,
    @Inject(SILO_IDENTITY) private readonly identity: SiloIdentity,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  get path(): string {
    return join(this.config.stateDir, LOCAL_AUDIT_FILE);
  }

  /** Appends an entry under this silo's name; resolves once it is on disk (fsync'd). */
  async record(action: AuditAction, subject: string, details: Record<string, unknown> = {}): Promise<void> {
    const { log } = await this.open();
    await log.append({ actor: `silo:${this.config.siloId}`, action, subject, details });
  }

  /** Whether this silo's own log records that it accepted the job (an agent restarted mid-job asks). */
  async hasAccepted(jobId: string): Promise<boolean> {
    const { store } = await this.open();
    return (await store.count({ action: 'job.accepted', jobId })) > 0;
  }

  /** Signs a checkpoint over the entries since the last one (at the end of each job, every minute, at shutdown). */
  async checkpoint(): Promise<void> {
    const { log } = await this.open();
    await log.checkpoint();
  }

  async onApplicationShutdown(): Promise<void> {
    if (!this.opened) return;
    const { store, log } = await this.opened;
    await log.close().catch((err: unknown) => this.log.error({ err }, 'closing the local audit log failed'));
    await store.close();
  }

  private open(): Promise<{ store: FileAuditStore; log: AuditLog }> {
    this.opened ??= (async () => {
      const store = await FileAuditStore.open(this.path);
      const log = new AuditLog({
        store,
        signingKey: this.identity.privateKey,
        onError: (err) => this.log.error({ err }, 'local audit checkpoint failed'),
      });
      log.startCheckpointTimer();
      return { store, log };
    })();
    return this.opened;
  }
}

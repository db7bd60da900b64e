import { Inject, Injectable } from '@nestjs/common';
import type { Database } from '@cohort/storage';
import { DATABASE } from '../database/database.providers.js';

export type SiloStatus = 'invited' | 'enrolled' | 'revoked';

export interface SiloRow {
  siloId: string;
  status: SiloStatus;
  datasetIds: string[];
  lastSeen: Date;
  publicKey: Buffer | null;
  keyFingerprint: string | null;
  enrolledAt: Date | null;
}

const columns = `silo_id AS "siloId", status, dataset_ids AS "datasetIds", last_seen AS "lastSeen",
  public_key AS "publicKey", key_fingerprint AS "keyFingerprint", enrolled_at AS "enrolledAt"`;

@Injectable()
export class SiloRepository {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  async get(siloId: string): Promise<SiloRow | undefined> {
    const rows = await this.db.query<SiloRow>(`SELECT ${columns} FROM silos WHERE silo_id = $1`, [siloId]);
    return rows[0];
  }

  async list(): Promise<SiloRow[]> {
    return this.db.query<SiloRow>(`SELECT ${columns} FROM silos ORDER BY silo_id`);
  }

  async touch(siloId: string, datasetIds: string[]): Promise<void> {
    await this.db.query(`UPDATE silos SET dataset_ids = $2::jsonb, last_seen = now() WHERE silo_id = $1`, [
      siloId,
      JSON.stringify(datasetIds),
    ]);
  }

  /** Records an invitation: the silo row exists (status invited unless already enrolled) with the token hash. */
  async invite(siloName: string, tokenHash: string, expiresAt: Date, createdBy: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO silos (silo_id, status) VALUES ($1, 'invited') ON CONFLICT (silo_id) DO NOTHING`,
        [siloName],
      );
      await tx.query(
        `INSERT INTO join_tokens (token_hash, silo_name, created_by, expires_at) VALUES ($1, $2, $3, $4)`,
        [tokenHash, siloName, createdBy, expiresAt],
      );
    });
  }

  /**
   * Spends a join token and records the silo's key, atomically: a token works once, before it expires, for the
   * silo it was issued to. Returns why not, or undefined on success.
   */
  async enrol(
    siloName: string,
    tokenHash: string,
    publicKey: Buffer,
    fingerprint: string,
  ): Promise<'unknown' | 'used' | 'expired' | 'wrong-silo' | 'revoked' | undefined> {
    return this.db.transaction(async (tx) => {
      const tokens = await tx.query<{ siloName: string; usedAt: Date | null; expired: boolean }>(
        `SELECT silo_name AS "siloName", used_at AS "usedAt", expires_at < now() AS expired
         FROM join_tokens WHERE token_hash = $1 FOR UPDATE`,
        [tokenHash],
      );
      const token = tokens[0];
      if (!token) return 'unknown';
      if (token.usedAt) return 'used';
      if (token.expired) return 'expired';
      if (token.siloName !== siloName) return 'wrong-silo';
      const silos = await tx.query<{ status: SiloStatus }>(
        `SELECT status FROM silos WHERE silo_id = $1 FOR UPDATE`,
        [siloName],
      );
      if (silos[0]?.status === 'revoked') return 'revoked';
      await tx.query(`UPDATE join_tokens SET used_at = now() WHERE token_hash = $1`, [tokenHash]);
      await tx.query(
        `UPDATE silos SET status = 'enrolled', public_key = $2, key_fingerprint = $3, enrolled_at = now(), last_seen = now()
         WHERE silo_id = $1`,
        [siloName, publicKey, fingerprint],
      );
      return undefined;
    });
  }

  async revoke(siloId: string, reason: string): Promise<SiloRow | undefined> {
    const rows = await this.db.query<SiloRow>(
      `UPDATE silos SET status = 'revoked', revoked_at = now(), revoke_reason = $2 WHERE silo_id = $1 RETURNING ${columns}`,
      [siloId, reason],
    );
    return rows[0];
  }
}

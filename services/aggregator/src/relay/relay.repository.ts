import { Inject, Injectable } from '@nestjs/common';
import type { Database } from '@cohort/storage';
import { DATABASE } from '../database/database.providers.js';
import type { RelayedMethod } from './relay-codec.js';

export interface Presence {
  siloId: string;
  replica: string;
  datasetIds: string[];
}

export interface RelayedCall {
  id: number;
  method: RelayedMethod;
  siloId: string;
  request: Buffer;
  payload: Buffer | null;
}

export interface CallAnswer {
  response: Buffer | null;
  errorCode: string | null;
  errorMessage: string | null;
}

/** silo_presence, silo_outbox and relay_calls: how replicas reach each other's silos through the database. */
@Injectable()
export class RelayRepository {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  /** Records the silos whose stream this replica holds, and forgets the ones it no longer holds. */
  async publishPresence(
    replica: string,
    sessions: readonly { siloId: string; datasetIds: string[] }[],
  ): Promise<void> {
    await this.db.query(
      `WITH mine AS (
         SELECT s.silo_id, s.dataset_ids FROM jsonb_to_recordset($2::jsonb) AS s(silo_id text, dataset_ids jsonb)
       ), gone AS (
         DELETE FROM silo_presence WHERE replica = $1 AND silo_id NOT IN (SELECT silo_id FROM mine)
       )
       INSERT INTO silo_presence (silo_id, replica, dataset_ids, seen_at)
       SELECT silo_id, $1, dataset_ids, now() FROM mine
       ON CONFLICT (silo_id) DO UPDATE SET replica = $1, dataset_ids = EXCLUDED.dataset_ids, seen_at = now()`,
      [replica, JSON.stringify(sessions.map((s) => ({ silo_id: s.siloId, dataset_ids: s.datasetIds })))],
    );
  }

  /** Silos whose stream another replica held within `freshMs`. */
  async othersPresence(replica: string, freshMs: number): Promise<Presence[]> {
    return this.db.query<Presence>(
      `SELECT silo_id AS "siloId", replica, dataset_ids AS "datasetIds" FROM silo_presence
       WHERE replica <> $1 AND seen_at > now() - make_interval(secs => $2::float8 / 1000)`,
      [replica, freshMs],
    );
  }

  async forgetPresence(replica: string): Promise<void> {
    await this.db.query(`DELETE FROM silo_presence WHERE replica = $1`, [replica]);
  }

  async enqueueTask(siloId: string, task: Buffer): Promise<void> {
    await this.db.query(`INSERT INTO silo_outbox (silo_id, task) VALUES ($1, $2)`, [siloId, task]);
  }

  /** Takes the queued tasks of these silos, oldest first (taken means deleted: each is delivered once). */
  async takeTasks(siloIds: readonly string[]): Promise<{ siloId: string; task: Buffer }[]> {
    if (siloIds.length === 0) return [];
    const rows = await this.db.query<{ id: number; siloId: string; task: Buffer }>(
      `DELETE FROM silo_outbox WHERE id IN (
         SELECT id FROM silo_outbox WHERE silo_id = ANY($1::text[]) ORDER BY id LIMIT 256 FOR UPDATE SKIP LOCKED)
       RETURNING id, silo_id AS "siloId", task`,
      [siloIds],
    );
    return rows.sort((a, b) => a.id - b.id);
  }

  /**
   * Tasks nobody collected (their silo never came back) and calls nobody collected (their caller died) are
   * dropped after `maxAgeMs`.
   */
  async dropStale(maxAgeMs: number): Promise<void> {
    await this.db.query(
      `DELETE FROM silo_outbox WHERE created_at < now() - make_interval(secs => $1::float8 / 1000)`,
      [maxAgeMs],
    );
    await this.db.query(
      `DELETE FROM relay_calls WHERE created_at < now() - make_interval(secs => $1::float8 / 1000)`,
      [maxAgeMs],
    );
  }

  async placeCall(
    target: string,
    method: RelayedMethod,
    siloId: string,
    request: Buffer,
    payload?: Buffer,
  ): Promise<number> {
    const [row] = await this.db.query<{ id: number }>(
      `INSERT INTO relay_calls (target, method, silo_id, request, payload) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
      [target, method, siloId, request, payload ?? null],
    );
    return row.id;
  }

  async answerOf(id: number): Promise<CallAnswer | undefined> {
    const rows = await this.db.query<CallAnswer>(
      `SELECT response, error_code AS "errorCode", error_message AS "errorMessage" FROM relay_calls
       WHERE id = $1 AND answered_at IS NOT NULL`,
      [id],
    );
    return rows[0];
  }

  async deleteCall(id: number): Promise<void> {
    await this.db.query(`DELETE FROM relay_calls WHERE id = $1`, [id]);
  }

  /** Calls waiting for this replica, marked taken so no other pass serves them twice. */
  async takeCalls(target: string): Promise<RelayedCall[]> {
    return this.db.query<RelayedCall>(
      `UPDATE relay_calls SET taken_at = now() WHERE id IN (
         SELECT id FROM relay_calls WHERE target = $1 AND taken_at IS NULL ORDER BY id LIMIT 32 FOR UPDATE SKIP LOCKED)
       RETURNING id, method, silo_id AS "siloId", request, payload`,
      [target],
    );
  }

  async answer(id: number, answer: CallAnswer): Promise<void> {
    await this.db.query(
      `UPDATE relay_calls SET response = $2, error_code = $3, error_message = $4, answered_at = now() WHERE id = $1`,
      [id, answer.response, answer.errorCode, answer.errorMessage],
    );
  }

  /** The replica whose live lease covers the job, if any. */
  async leaseOwner(jobId: string): Promise<string | undefined> {
    const rows = await this.db.query<{ owner: string }>(
      `SELECT owner FROM job_leases WHERE job_id = $1 AND expires_at > now()`,
      [jobId],
    );
    return rows[0]?.owner;
  }
}

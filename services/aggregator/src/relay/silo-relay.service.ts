import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import type { PeerCertificate } from 'node:tls';
import { chunkBytes, type Task, type UpdateChunk } from '@cohort/protocol';
import type { Database } from '@cohort/storage';
import { isDatabaseUnavailable } from '@cohort/storage';
import { from } from 'rxjs';
import { AggregatorErrorCode, AggregatorException } from '../common/aggregator.exception.js';
import { LOGGER } from '../common/logger.provider.js';
import { DatabaseHealth } from '../database/database-health.service.js';
import { AggregatorConfig } from '../config.js';
import { DATABASE } from '../database/database.providers.js';
import { FederationService } from '../federation/federation.service.js';
import { SiloSessions, type RemoteSession } from '../federation/silo-sessions.service.js';
import { JobLeases } from '../leases/job-leases.service.js';
import type { CallLike } from '../trust/peer.js';
import {
  decodeRequest,
  decodeResponse,
  decodeTask,
  encodeResponse,
  encodeTask,
  type RelayedMethod,
} from './relay-codec.js';
import { RelayRepository, type RelayedCall } from './relay.repository.js';

/** How often tasks and calls waiting for this replica are collected: a relayed hop costs at most this. */
const POLL_MS = 100;
/** Presence is published every this many polls; a replica silent for PRESENCE_FRESH_MS is taken as gone. */
const PRESENCE_EVERY = 5;
const PRESENCE_FRESH_MS = 3_000;
const STALE_MS = 10 * 60_000;
/** How often a waiting relayed call checks that its target still holds the job's lease. */
const OWNER_CHECK_MS = 500;
const CALL_TIMEOUT_MS: Record<RelayedMethod, number> = {
  Upload: 120_000,
  Decide: 30_000,
  ReportMetrics: 30_000,
  GetEnclaveAttestation: 30_000,
};

/**
 * Silos dial one address, so with several replicas a silo's stream can sit on one replica while another drives
 * its job. Every replica serves any silo: the owner's tasks for a silo streamed elsewhere go through silo_outbox,
 * and a silo's calls for a job driven elsewhere go through relay_calls, answered by the owner with its own round
 * state and enclave. Only PostgreSQL is shared: on embedded PGlite there is one replica and nothing to relay.
 */
@Injectable()
export class SiloRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private ticks = 0;
  private stopped = false;
  // Tasks for one silo are written in the order they were sent.
  private writes: Promise<void> = Promise.resolve();
  private readonly ownerCache = new Map<string, { owner: string | undefined; at: number }>();

  constructor(
    private readonly relay: RelayRepository,
    private readonly sessions: SiloSessions,
    private readonly federation: FederationService,
    private readonly leases: JobLeases,
    private readonly config: AggregatorConfig,
    @Inject(DATABASE) private readonly db: Database,
    @Inject(LOGGER) private readonly log: Logger,
    private readonly database: DatabaseHealth,
  ) {}

  get enabled(): boolean {
    return this.db.kind === 'postgres';
  }

  private get me(): string {
    return this.config.lease.replicaId;
  }

  onApplicationBootstrap(): void {
    if (!this.enabled) return;
    this.timer = setInterval(() => {
      this.polling ??= this.poll().finally(() => (this.polling = undefined));
    }, POLL_MS);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.polling;
    await this.writes;
    if (this.enabled) await this.relay.forgetPresence(this.me).catch(() => undefined);
  }

  /**
   * The replica that drives the job when it is not this one; undefined when this replica drives it or nobody
   * does (then the local answer, such as "no open round", is the right one). Cached for a poll period.
   */
  async ownerElsewhere(jobId: string): Promise<string | undefined> {
    if (!this.enabled || this.leases.drives(jobId)) return undefined;
    const cached = this.ownerCache.get(jobId);
    if (cached && Date.now() - cached.at < 500) return cached.owner;
    const owner = await this.relay.leaseOwner(jobId);
    const elsewhere = owner && owner !== this.me ? owner : undefined;
    this.ownerCache.set(jobId, { owner: elsewhere, at: Date.now() });
    return elsewhere;
  }

  /**
   * Places a silo's call with the job's owner and waits for its answer (its error rethrown as the owner's). Gives
   * up as soon as the owner's lease on the job lapses: a dead owner's answer will not come, and the silo must be
   * free for the round its job's next owner sends.
   */
  async call<T>(
    owner: string,
    jobId: string,
    method: RelayedMethod,
    siloId: string,
    request: Buffer,
    payload?: Buffer,
  ): Promise<T> {
    const id = await this.relay.placeCall(owner, method, siloId, request, payload);
    const deadline = Date.now() + CALL_TIMEOUT_MS[method];
    let nextLeaseCheck = Date.now() + OWNER_CHECK_MS;
    try {
      for (;;) {
        const answer = await this.relay.answerOf(id);
        if (answer) {
          if (answer.errorCode) {
            throw new AggregatorException(answer.errorCode as AggregatorErrorCode, answer.errorMessage ?? '');
          }
          return decodeResponse<T>(method, answer.response ?? Buffer.alloc(0));
        }
        if (Date.now() > deadline) {
          throw new AggregatorException(
            AggregatorErrorCode.JOB_OWNER_UNREACHABLE,
            `replica ${owner}, which drives this job, did not answer within ${CALL_TIMEOUT_MS[method] / 1000} s; ` +
              'if it died, another replica resumes the job once its lease expires',
          );
        }
        if (Date.now() > nextLeaseCheck) {
          nextLeaseCheck = Date.now() + OWNER_CHECK_MS;
          if ((await this.relay.leaseOwner(jobId)) !== owner) {
            throw new AggregatorException(
              AggregatorErrorCode.JOB_OWNER_UNREACHABLE,
              `replica ${owner} no longer drives job ${jobId} (its lease lapsed); the job's next owner restarts ` +
                'the open round',
            );
          }
        }
        await new Promise((r) => setTimeout(r, POLL_MS / 2));
      }
    } finally {
      await this.relay.deleteCall(id).catch(() => undefined);
    }
  }

  private forward(siloId: string, task: Task): void {
    const bytes = encodeTask(task);
    this.writes = this.writes
      .then(() => this.relay.enqueueTask(siloId, bytes))
      .catch((err: unknown) =>
        this.log.warn({ err, siloId }, 'a task for a silo on another replica was lost'),
      );
  }

  private async poll(): Promise<void> {
    if (this.stopped) return;
    try {
      if (this.ticks++ % PRESENCE_EVERY === 0) {
        await this.relay.publishPresence(this.me, this.sessions.local());
        const others = await this.relay.othersPresence(this.me, PRESENCE_FRESH_MS);
        const remote = new Map<string, RemoteSession>(
          others.map((p) => [p.siloId, { datasetIds: p.datasetIds }]),
        );
        this.sessions.setRemote(remote, (siloId, task) => this.forward(siloId, task));
        if (this.ticks % (PRESENCE_EVERY * 600) === 1) await this.relay.dropStale(STALE_MS);
      }
      const local = this.sessions.local().map((s) => s.siloId);
      for (const { siloId, task } of await this.relay.takeTasks(local)) {
        if (!this.sessions.deliverLocal(siloId, decodeTask<Task>(task))) {
          this.log.warn({ siloId }, 'a relayed task arrived after its silo left this replica; dropped');
        }
      }
      const calls = await this.relay.takeCalls(this.me);
      await Promise.all(calls.map((c) => this.serve(c)));
    } catch (err) {
      const unavailable = isDatabaseUnavailable(err);
      if (unavailable) this.database.reportUnavailable();
      this.log[unavailable ? 'warn' : 'error']({ err }, 'silo relay pass failed');
    }
  }

  /**
   * Answers a call another replica relayed. That replica checked the silo's client certificate before writing
   * the call, so the call runs as if over that certificate; enrolment, revocation and every signature are
   * checked here again as for a direct call.
   */
  private async serve(c: RelayedCall): Promise<void> {
    const call = relayedCall(c.siloId);
    let response: Buffer;
    try {
      switch (c.method) {
        case 'Upload': {
          const header = decodeRequest<UpdateChunk>('Upload', c.request).header;
          const chunks: UpdateChunk[] = [
            { header },
            ...chunkBytes(c.payload ?? Buffer.alloc(0)).map((data) => ({ data })),
          ];
          response = encodeResponse('Upload', await this.federation.upload(from(chunks), call));
          break;
        }
        case 'Decide':
          await this.federation.decide(decodeRequest('Decide', c.request), call);
          response = encodeResponse('Decide', {});
          break;
        case 'ReportMetrics':
          await this.federation.reportMetrics(decodeRequest('ReportMetrics', c.request), call);
          response = encodeResponse('ReportMetrics', {});
          break;
        case 'GetEnclaveAttestation':
          response = encodeResponse(
            'GetEnclaveAttestation',
            await this.federation.enclaveAttestation(decodeRequest('GetEnclaveAttestation', c.request), call),
          );
          break;
      }
      await this.relay.answer(c.id, { response, errorCode: null, errorMessage: null });
    } catch (err) {
      const known = err instanceof AggregatorException;
      if (!known) this.log.error({ err, method: c.method, siloId: c.siloId }, 'a relayed call failed');
      await this.relay
        .answer(c.id, {
          response: null,
          errorCode: known ? err.code : AggregatorErrorCode.INTERNAL,
          errorMessage: (err as Error).message,
        })
        .catch((e: unknown) => this.log.warn({ err: e }, 'could not answer a relayed call'));
    }
  }
}

/** The call a relayed request runs under: the silo's certificate name, as the receiving replica verified it. */
function relayedCall(siloId: string): CallLike {
  const certificate = { subject: { CN: siloId } } as unknown as PeerCertificate;
  return { getAuthContext: () => ({ sslPeerCertificate: certificate }) };
}

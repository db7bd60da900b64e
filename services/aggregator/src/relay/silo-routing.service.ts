import { Injectable } from '@nestjs/common';
import { firstValueFrom, lastValueFrom, ReplaySubject, toArray, type Observable } from 'rxjs';
import {
  MAX_CHUNK_BYTES,
  type DecideRequest,
  type EnclaveAttestation,
  type GetEnclaveAttestationRequest,
  type MetricsReport,
  type Receipt,
  type UpdateChunk,
} from '@cohort/protocol';
import { AggregatorErrorCode, AggregatorException } from '../common/aggregator.exception.js';
import { FederationService } from '../federation/federation.service.js';
import { SiloGuard } from '../trust/silo-guard.service.js';
import type { CallLike } from '../trust/peer.js';
import { encodeRequest } from './relay-codec.js';
import { SiloRelay } from './silo-relay.service.js';

/**
 * A silo's calls that depend on its job's round state or enclave go to the replica that drives the job: here when
 * this replica does, through the relay when another does. The silo's certificate is checked here first, so only
 * an authenticated silo's call is ever written to the database.
 */
@Injectable()
export class SiloRouting {
  constructor(
    private readonly federation: FederationService,
    private readonly relay: SiloRelay,
    private readonly guard: SiloGuard,
  ) {}

  async decide(request: DecideRequest, call: CallLike): Promise<void> {
    const owner = await this.relay.ownerElsewhere(request.jobId);
    if (!owner) return this.federation.decide(request, call);
    await this.guard.require(request.siloId, call, 'decide');
    await this.relay.call(owner, request.jobId, 'Decide', request.siloId, encodeRequest('Decide', request));
  }

  async reportMetrics(report: MetricsReport, call: CallLike): Promise<void> {
    const owner = await this.relay.ownerElsewhere(report.jobId);
    if (!owner) return this.federation.reportMetrics(report, call);
    await this.guard.require(report.siloId, call, 'metrics');
    await this.relay.call(
      owner,
      report.jobId,
      'ReportMetrics',
      report.siloId,
      encodeRequest('ReportMetrics', report),
    );
  }

  async enclaveAttestation(
    request: GetEnclaveAttestationRequest,
    call: CallLike,
  ): Promise<EnclaveAttestation> {
    const owner = await this.relay.ownerElsewhere(request.jobId);
    if (!owner) return this.federation.enclaveAttestation(request, call);
    await this.guard.require(request.siloId, call, 'attestation');
    // The token comes from the owner's enclave: the one the silo's update will be sealed to.
    return this.relay.call<EnclaveAttestation>(
      owner,
      request.jobId,
      'GetEnclaveAttestation',
      request.siloId,
      encodeRequest('GetEnclaveAttestation', request),
    );
  }

  /** The header says whose job it is; until it is read, the chunks wait in a replay buffer. */
  async upload(chunks: Observable<UpdateChunk>, call: CallLike): Promise<Receipt> {
    if (!this.relay.enabled) return this.federation.upload(chunks, call);
    const buffered = new ReplaySubject<UpdateChunk>();
    chunks.subscribe(buffered);
    const first = await firstValueFrom(buffered, { defaultValue: undefined }).catch(() => undefined);
    const header = first?.header;
    const owner = header ? await this.relay.ownerElsewhere(header.jobId) : undefined;
    if (!header || !owner) return this.federation.upload(buffered, call);
    await this.guard.require(header.siloId, call, 'upload');
    const all = await lastValueFrom(buffered.pipe(toArray()));
    const parts = all.slice(1).map((c) => Buffer.from(c.data ?? new Uint8Array(0)));
    const total = parts.reduce((n, p) => n + p.byteLength, 0);
    // The owner checks the exact size; this bound only keeps an oversized stream out of the database.
    if (total > header.payloadBytes || parts.some((p) => p.byteLength > MAX_CHUNK_BYTES)) {
      throw new AggregatorException(
        AggregatorErrorCode.UPDATE_SIZE_MISMATCH,
        `the payload is longer than the ${header.payloadBytes} bytes its header declared`,
      );
    }
    return this.relay.call<Receipt>(
      owner,
      header.jobId,
      'Upload',
      header.siloId,
      encodeRequest('Upload', { header }),
      Buffer.concat(parts),
    );
  }
}

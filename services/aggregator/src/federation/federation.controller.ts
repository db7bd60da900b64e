import { Controller } from '@nestjs/common';
import type { Metadata } from '@grpc/grpc-js';
import { defer, from, mergeMap, type Observable } from 'rxjs';
import {
  FederationServiceControllerMethods,
  type ConnectRequest,
  type DecideRequest,
  type DecideResponse,
  type EnclaveAttestation,
  type EnrollRequest,
  type EnrollResponse,
  type FederationServiceController,
  type GetEnclaveAttestationRequest,
  type GetModelRequest,
  type MetricsAck,
  type MetricsReport,
  type ModelChunk,
  type Receipt,
  type SecAggAck,
  type SecAggChunk,
  type Task,
  type UpdateChunk,
} from '@cohort/protocol';
import type { CallLike } from '../trust/peer.js';
import { FederationService } from './federation.service.js';
import { SiloRouting } from '../relay/silo-routing.service.js';
import { SecAggService } from '../secagg/secagg.service.js';

// Nest passes (request, metadata, call) to gRPC handlers; the call carries the caller's verified certificate.
@Controller()
@FederationServiceControllerMethods()
export class FederationController implements FederationServiceController {
  constructor(
    private readonly federation: FederationService,
    private readonly routing: SiloRouting,
    private readonly secagg: SecAggService,
  ) {}

  enroll(request: EnrollRequest): Promise<EnrollResponse> {
    return this.federation.enroll(request);
  }

  connect(request: ConnectRequest, _m?: Metadata, call?: CallLike): Observable<Task> {
    return from(this.federation.connect(request, call)).pipe(mergeMap((tasks) => tasks));
  }

  async decide(request: DecideRequest, _m?: Metadata, call?: CallLike): Promise<DecideResponse> {
    return this.routing.decide(request, call).then(() => ({}));
  }

  /**
   * Lazily, as an Observable: Nest replays the buffered request stream only after a Promise-returning handler
   * settles, and this one settles only when the stream ends.
   */
  upload(request: Observable<UpdateChunk>, _m?: Metadata, call?: CallLike): Observable<Receipt> {
    return defer(() => this.routing.upload(request, call));
  }

  /** Lazily, as for upload: the handler settles only when the stream ends. */
  secAggSubmit(request: Observable<SecAggChunk>, _m?: Metadata, call?: CallLike): Observable<SecAggAck> {
    return defer(() => this.secagg.submit(request, call));
  }

  async reportMetrics(request: MetricsReport, _m?: Metadata, call?: CallLike): Promise<MetricsAck> {
    return this.routing.reportMetrics(request, call).then(() => ({}));
  }

  getModel(request: GetModelRequest, _m?: Metadata, call?: CallLike): Observable<ModelChunk> {
    return this.federation.modelStream(request, call);
  }

  getEnclaveAttestation(
    request: GetEnclaveAttestationRequest,
    _m?: Metadata,
    call?: CallLike,
  ): Promise<EnclaveAttestation> {
    return this.routing.enclaveAttestation(request, call);
  }
}

import { Controller } from '@nestjs/common';
import { defer, from, mergeMap, type Observable } from 'rxjs';
import {
  FederationServiceControllerMethods,
  type ConnectRequest,
  type DecideRequest,
  type DecideResponse,
  type EnrollRequest,
  type EnrollResponse,
  type FederationServiceController,
  type GetModelRequest,
  type MetricsAck,
  type MetricsReport,
  type ModelChunk,
  type Receipt,
  type Task,
  type UpdateChunk,
} from '@cohort/protocol';
import { AggregatorErrorCode, AggregatorException } from '../common/aggregator.exception.js';
import { FederationService } from './federation.service.js';

@Controller()
@FederationServiceControllerMethods()
export class FederationController implements FederationServiceController {
  constructor(private readonly federation: FederationService) {}

  enroll(_request: EnrollRequest): EnrollResponse {
    throw new AggregatorException(
      AggregatorErrorCode.SILO_UNKNOWN,
      'enrolment is not available in this version',
    );
  }

  connect(request: ConnectRequest): Observable<Task> {
    return from(this.federation.connect(request)).pipe(mergeMap((tasks) => tasks));
  }

  async decide(request: DecideRequest): Promise<DecideResponse> {
    return this.federation.decide(request).then(() => ({}));
  }

  /**
   * Lazily, as an Observable: Nest replays the buffered request stream only after a Promise-returning handler
   * settles, and this one settles only when the stream ends.
   */
  upload(request: Observable<UpdateChunk>): Observable<Receipt> {
    return defer(() => this.federation.upload(request));
  }

  reportMetrics(request: MetricsReport): MetricsAck {
    this.federation.reportMetrics(request);
    return {};
  }

  getModel(request: GetModelRequest): Observable<ModelChunk> {
    return from(this.federation.getModel(request)).pipe(mergeMap((chunks) => chunks));
  }
}

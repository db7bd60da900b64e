import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import {
  GRPC_CHANNEL_OPTIONS,
  PROTO_FILES,
  PROTO_LOADER_OPTIONS,
  TaskKind,
  WeightsEncoding,
  packFloat32,
  sha256,
  type Task,
} from '@cohort/protocol';

export interface UploadOutcome {
  round: number;
  code: number;
  errorCode: string;
  message: string;
}

/**
 * A silo that accepts every job and answers each train task with an update of the wrong size: the aggregator
 * must refuse it with a clear error and close the round on the honest silos.
 */
export function startRogueSilo(aggregatorUrl: string, siloId: string, datasetId: string) {
  const definition = protoLoader.loadSync(PROTO_FILES, PROTO_LOADER_OPTIONS);
  const proto = grpc.loadPackageDefinition(definition) as any;
  const client = new proto.cohort.v1.FederationService(
    aggregatorUrl,
    grpc.credentials.createInsecure(),
    GRPC_CHANNEL_OPTIONS,
  );
  const outcomes: UploadOutcome[] = [];
  const stream = client.connect({
    siloId,
    capabilities: { datasetIds: [datasetId], modelTemplates: ['logreg'] },
  });
  stream.on('error', () => undefined);
  stream.on('data', (task: Task) => {
    if (task.kind === TaskKind.TASK_KIND_OFFER) {
      client.decide({ jobId: task.jobId, siloId, accept: true, reason: 'rogue' }, () => undefined);
    } else if (task.kind === TaskKind.TASK_KIND_TRAIN) {
      const payload = packFloat32(new Float32Array((task.globalModel?.parameterCount ?? 1) + 3).fill(100));
      const call = client.upload((err: grpc.ServiceError | null) => {
        outcomes.push({
          round: task.round,
          code: err?.code ?? 0,
          errorCode: String(err?.metadata?.get('cohort-error-code')?.[0] ?? ''),
          message: err?.details ?? '',
        });
      });
      call.write({
        header: {
          jobId: task.jobId,
          round: task.round,
          siloId,
          nonce: task.nonce,
          exampleCount: 100,
          payloadSha256: sha256(payload),
          encoding: WeightsEncoding.WEIGHTS_ENCODING_FLOAT32,
          payloadBytes: payload.byteLength,
          trainMs: 1,
        },
      });
      call.write({ data: payload });
      call.end();
    }
  });
  return {
    outcomes,
    close: () => {
      stream.cancel();
      client.close();
    },
  };
}

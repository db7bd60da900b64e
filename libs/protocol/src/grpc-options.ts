import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { COHORT_V1_PACKAGE_NAME } from './generated/cohort/v1/common.js';
import { MAX_CHUNK_BYTES } from './weights.js';

// This file sits at libs/protocol/src (sources) or dist/libs/protocol/src (build): find the repository's proto/.
const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = here.includes(`${join('dist', 'libs')}`)
  ? join(here, '../../../..')
  : join(here, '../../..');

export const PROTO_ROOT = join(repoRoot, 'proto');
export const PROTO_FILES = ['cohort/v1/common.proto', 'cohort/v1/federation.proto', 'cohort/v1/jobs.proto'];
export const PROTO_PACKAGE = COHORT_V1_PACKAGE_NAME;

/**
 * proto-loader options that make runtime objects match the ts-proto interfaces: camelCase fields, numbers for
 * 64-bit integers, numeric enums, defaults filled in, and virtual oneof fields for proto3 `optional`.
 */
export const PROTO_LOADER_OPTIONS = {
  keepCase: false,
  longs: Number,
  enums: Number,
  defaults: true,
  arrays: true,
  objects: true,
  oneofs: true,
  includeDirs: [PROTO_ROOT],
};

/** Room for one full chunk plus its framing and header. */
export const MAX_MESSAGE_BYTES = MAX_CHUNK_BYTES + 64 * 1024;

/**
 * The window a client receives in: one chunk and its framing. HTTP/2's 64 KiB default makes a 4 MB model 64 round
 * trips, each waiting on the receiving process's event loop (long, when it trains); a window much larger lets a
 * server push every silo's whole model into the sockets at once, and a process holding many silos (cohort
 * simulate) then reads them all side by side, so no silo has its model until nearly all have.
 */
export const FLOW_CONTROL_WINDOW_BYTES = MAX_MESSAGE_BYTES;

/** The window a server receives in: a whole update of a few million parameters in flight on one call. */
export const SERVER_RECEIVE_WINDOW_BYTES = 16 * 1024 * 1024;

export const GRPC_CHANNEL_OPTIONS = {
  'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
  'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
  'grpc.keepalive_time_ms': 20_000,
  'grpc.keepalive_timeout_ms': 10_000,
  'grpc.keepalive_permit_without_calls': 1,
  'grpc.http2.min_ping_interval_without_data_ms': 10_000,
  'grpc-node.flow_control_window': FLOW_CONTROL_WINDOW_BYTES,
};

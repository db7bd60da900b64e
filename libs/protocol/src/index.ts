export * from './generated/cohort/v1/common.js';
export * from './generated/cohort/v1/federation.js';
export * from './generated/cohort/v1/jobs.js';
// Every generated file declares these; naming them once here resolves the star-export ambiguity.
export { COHORT_V1_PACKAGE_NAME, protobufPackage, protobufFileName } from './generated/cohort/v1/common.js';
export * from './weights.js';
export * from './grpc-options.js';

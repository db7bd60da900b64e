export * from './job-spec.schema.js';
export * from './validate-job-spec.js';

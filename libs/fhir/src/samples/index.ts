export * from './heart-disease.js';
export * from './synthetic-hospitals.js';
export { NdjsonWriter } from './ndjson-writer.js';

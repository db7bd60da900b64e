export * from './errors.js';
export * from './schema.js';
export * from './csv-reader.js';
export * from './prng.js';
export * from './split.js';
export * from './preprocess.js';
export * from './dataset.js';
export * from './heart-disease.js';

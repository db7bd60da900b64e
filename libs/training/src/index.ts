export * from './errors.js';
export * from './backend.js';
export * from './data.js';
export * from './tf-model.js';
export { clearModelCache } from './model-cache.js';
export * from './local-train.js';
export * from './evaluate.js';
export * from './layers-export.js';
export * from './pooled.js';

export * from './errors.js';
export * from './metrics.js';

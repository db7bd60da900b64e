export * from './errors.js';
export * from './architecture.js';
export * from './layout.js';
export * from './random.js';
export * from './init.js';
export * from './validate.js';

export * from './environment.js';
export * from './config-file.js';
export * from './trust-file.js';

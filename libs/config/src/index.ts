export * from './environment.js';
export * from './config-file.js';

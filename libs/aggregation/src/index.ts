export * from './errors.js';
export * from './fedavg.js';
export * from './server-sgd.js';
export * from './fedavgm.js';
export * from './fedadam.js';
export * from './server-optimizer.js';
export * from './optimizer-state-codec.js';
export * from './sensitivity.js';

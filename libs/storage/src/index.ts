export * from './errors.js';
export * from './database.js';
export { describeDatabaseUrl } from './database-url.js';
export * from './migrate.js';
export * from './test-database.js';
export { storageBackends, type Backend } from './spec-backends.js';
export { isDatabaseUnavailable } from './unavailable.js';

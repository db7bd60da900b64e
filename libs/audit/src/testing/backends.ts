// The databases audit storage is tested on: the same as libs/storage's own tests (PGlite always; PostgreSQL
// too when a Docker engine or TEST_DATABASE_URL provides one).
export { storageBackends as auditBackends, type Backend } from '@cohort/storage';

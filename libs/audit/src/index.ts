export * from './audit-error.js';
export * from './actions.js';
export { canonicalJson, type JsonObject, type JsonValue } from './canonical-json.js';
export {
  chainEntries,
  EMPTY_HEAD,
  ENTRY_HASH_TAG,
  entryHash,
  GENESIS_HASH,
  indexKeysOf,
  parseAuditEntry,
  prepareDraft,
  type AuditDraft,
  type AuditEntry,
  type AuditEntryInput,
  type AuditHead,
} from './entry.js';
export * from './details.js';
export {
  AuditLog,
  DEFAULT_CHECKPOINT_INTERVAL_MS,
  DEFAULT_CHECKPOINT_MAX_ENTRIES,
  type AuditLogOptions,
} from './audit-log.js';
export * from './merkle.js';
export {
  CHECKPOINT_FORMAT,
  CHECKPOINT_JWS_TYPE,
  checkpointHash,
  checkpointPayload,
  createCheckpointSigner,
  parseAuditCheckpoint,
  type AuditCheckpoint,
  type AuditPublicKeys,
  type CheckpointBody,
  type CheckpointSigner,
} from './checkpoint.js';
export {
  readCheckpoints,
  readEntries,
  type AuditFilter,
  type AuditPage,
  type AuditStore,
  type CheckpointQuery,
} from './store.js';
export { MemoryAuditStore } from './memory-store.js';
export { AUDIT_APPEND_ONLY_MESSAGE, AUDIT_LOCK_KEY, AUDIT_SCHEMA_SQL, ensureAuditSchema } from './schema.js';
export { PostgresAuditStore, type PostgresAuditStoreOptions } from './postgres-store.js';
export { FileAuditStore, type FileAuditStoreOptions } from './file-store.js';
export { AUDIT_FORMAT, type AuditFooter, type AuditHeader } from './records.js';
export {
  verifyAudit,
  verifyAuditStore,
  type AuditFault,
  type AuditFaultCode,
  type AuditVerification,
  type VerifyAuditOptions,
} from './verify.js';
export {
  exportCsv,
  exportJsonLines,
  readAuditExport,
  verifyAuditExport,
  type AuditExport,
  type ExportOptions,
} from './export.js';
export { CSV_COLUMNS } from './csv.js';
export {
  crossCheck,
  type CrossCheckMatch,
  type CrossCheckMismatch,
  type CrossCheckOneSided,
  type CrossCheckResult,
  type UpdateAcceptedDetails,
  type UpdateRejectedDetails,
  type UpdateSentDetails,
} from './cross-check.js';
export { benchAudit, type AuditBenchResult, type BenchAuditOptions } from './bench.js';

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
export * from './merkle.js';

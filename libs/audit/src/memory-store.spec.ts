import { MemoryAuditStore } from './memory-store.js';
import { storeContract } from './testing/store-contract.js';

describe('MemoryAuditStore: the AuditStore contract', () => {
  it.each(storeContract)('%s', (_name, check) => check(new MemoryAuditStore()));
});

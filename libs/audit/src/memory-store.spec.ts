import { MemoryAuditStore } from './memory-store.js';
import { describeStoreContract } from './testing/store-contract.js';

describeStoreContract('MemoryAuditStore', () =>
  Promise.resolve({ store: new MemoryAuditStore(), close: () => Promise.resolve() }),
);

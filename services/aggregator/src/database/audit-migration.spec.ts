import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AUDIT_SCHEMA_SQL } from '@cohort/audit';
import { MIGRATIONS_DIR } from './database.providers.js';

// The audit library owns the schema its store expects; the migration is a copy, so the two must not drift.
it('migration 0005 is exactly the audit library’s schema', async () => {
  expect(await readFile(join(MIGRATIONS_DIR, '0005_audit.sql'), 'utf8')).toBe(AUDIT_SCHEMA_SQL);
});

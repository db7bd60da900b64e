import { openDatabase } from '@cohort/storage';
import { benchAudit } from './bench.js';

describe('benchAudit', () => {
  it('measures appends (concurrent and sequential, with checkpoints) and verification', async () => {
    const result = await benchAudit({
      entries: 600,
      concurrency: 32,
      sequentialEntries: 100,
      checkpointIntervalMs: 20,
      verifyEntries: 3000,
    });
    expect(result).toMatchObject({
      backend: 'pglite',
      synchronousCommit: true,
      entries: 600,
      concurrency: 32,
      sequentialEntries: 100,
    });
    expect(result.appendPerSecond).toBeGreaterThan(0);
    expect(result.appendPerSecondSequential).toBeGreaterThan(0);
    // 32 appenders at once must share transactions, or group commit is not happening.
    expect(result.meanBatch).toBeGreaterThan(4);
    expect(result.checkpoints).toBeGreaterThanOrEqual(1);
    expect(result.verifyMsPer100k).toBeGreaterThan(0);
    expect(result.verifyStoreMsPer100k).toBeGreaterThan(0);
  });

  it('refuses a database that already holds audit entries', async () => {
    const db = await openDatabase({});
    try {
      await benchAudit({ database: db, entries: 10, sequentialEntries: 1, verifyEntries: 10 });
      await expect(
        benchAudit({ database: db, entries: 10, sequentialEntries: 1, verifyEntries: 10 }),
      ).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
      });
    } finally {
      await db.close();
    }
  });
});

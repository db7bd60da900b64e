import { badArguments, parsePositiveInt } from '../output.js';
import type { BenchSuite } from './suite.js';

/**
 * The audit trail's costs: appends per second through the group-committing writer (many appenders, and one
 * awaiting each append), checkpoint signing, and verification per 100,000 entries.
 */
async function benchAuditSuite(
  entries: number,
  databaseUrl: string | undefined,
): Promise<Record<string, unknown>> {
  const { AuditError, benchAudit } = await import('@cohort/audit');
  const { openDatabase } = await import('@cohort/storage');
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw badArguments('--database-url must be a PostgreSQL URL such as postgres://user@host:5432/bench');
  }
  const database = databaseUrl === undefined ? undefined : await openDatabase({ url: databaseUrl });
  try {
    return { suite: 'audit', ...(await benchAudit({ entries, database })) };
  } catch (err) {
    // A database that already holds entries: the person has to point the bench at an empty one.
    if (err instanceof AuditError && err.code === 'INVALID_ARGUMENT') throw badArguments(err.message);
    throw err;
  } finally {
    await database?.close();
  }
}

export const suite: BenchSuite = {
  description: 'audit appends per second, checkpoints and verification',
  options: [
    {
      flags: '--entries <n>',
      description: 'entries appended by 64 concurrent appenders',
      parse: parsePositiveInt('--entries'),
      default: 20_000,
    },
    {
      flags: '--database-url <url>',
      description:
        'an empty, throwaway PostgreSQL database (entries written there can never be deleted); default PGlite in memory',
    },
  ],
  run: (o) => benchAuditSuite(o.entries as number, o.databaseUrl as string | undefined),
};

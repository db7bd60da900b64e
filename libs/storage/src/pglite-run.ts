import type { PGlite, Transaction } from '@electric-sql/pglite';

export type PgliteRunner = Pick<PGlite, 'query' | 'exec'> | Pick<Transaction, 'query' | 'exec'>;

/** One query's rows; a parameterless script runs with the simple protocol (several statements, as on pg). */
export async function runPglite<T extends object>(
  runner: PgliteRunner,
  sql: string,
  params?: unknown[],
): Promise<T[]> {
  if (params && params.length > 0) return (await runner.query<T>(sql, params)).rows;
  const results = await runner.exec(sql);
  return (results[results.length - 1]?.rows ?? []) as T[];
}

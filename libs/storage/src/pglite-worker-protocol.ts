// Messages between a service's thread and the PGlite worker (pglite-worker.ts).

export type PgliteRequest =
  | { id: number; op: 'run'; sql: string; params?: unknown[]; tx?: number }
  /** Opens a transaction whose id is the request's. */
  | { id: number; op: 'begin' }
  | { id: number; op: 'commit' | 'rollback'; tx: number }
  | { id: number; op: 'close' };

/** The answer to request `id`; id 0 reports the database open (or why it could not be). */
export interface PgliteReply {
  id: number;
  rows?: unknown[];
  error?: SerializedError;
}

export interface SerializedError {
  name: string;
  message: string;
  /** The error's own string and number properties: PGlite's SQLSTATE `code`, detail, constraint, … */
  fields: Record<string, string | number>;
}

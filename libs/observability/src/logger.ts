import { pino, type Logger } from 'pino';
import { readEnvironment } from '@cohort/config';

export type { Logger } from 'pino';

/**
 * Structured JSON logs on standard error: standard output stays free for a command's own report (the CLI rule:
 * the last line of stdout is one JSON object with --json).
 */
export function createLogger(name: string, level?: string): Logger {
  const resolved = level ?? readEnvironment().logLevel ?? 'info';
  return pino({ name, level: resolved, base: { service: name } }, pino.destination({ fd: 2, sync: false }));
}

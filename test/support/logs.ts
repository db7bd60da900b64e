import { readFile } from 'node:fs/promises';
import { waitFor } from './federation.js';

export type LogLine = Record<string, unknown>;

/** The JSON lines of a service's log file (pino on stderr, the ready line on stdout); other lines are skipped. */
export async function logLines(file: string): Promise<LogLine[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const lines: LogLine[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      lines.push(JSON.parse(line) as LogLine);
    } catch {
      // a line cut by a concurrent write: the next read has it whole
    }
  }
  return lines;
}

function matches(line: LogLine, fields: LogLine): boolean {
  return Object.entries(fields).every(([k, v]) =>
    v instanceof RegExp ? typeof line[k] === 'string' && v.test(line[k]) : line[k] === v,
  );
}

/** The audit lines (`"audit":true`) of a log that carry every given field (a RegExp matches a string field). */
export async function auditLines(file: string, fields: LogLine = {}): Promise<LogLine[]> {
  return (await logLines(file)).filter((l) => l.audit === true && matches(l, fields));
}

/** Waits for an audit line with these fields to reach the log file (services write it asynchronously). */
export function expectAudit(file: string, fields: LogLine, timeoutMs = 10_000): Promise<LogLine> {
  return waitFor(
    `an audit line ${JSON.stringify(fields, (_k, v: unknown) => (v instanceof RegExp ? String(v) : v))} in ${file}`,
    async () => (await auditLines(file, fields))[0],
    timeoutMs,
  );
}
